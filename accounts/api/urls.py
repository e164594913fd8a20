from rest_framework.routers import DefaultRouter

from accounts.api import views
from accounts.api.custom_fields import CustomFieldViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("households", views.HouseholdViewSet, basename="household")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
urlpatterns = router.urls
