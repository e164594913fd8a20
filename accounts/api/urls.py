from rest_framework.routers import DefaultRouter

from accounts.api import views

router = DefaultRouter()
router.include_root_view = False
router.register("households", views.HouseholdViewSet, basename="household")
router.register("accounts", views.AccountViewSet, basename="account")
urlpatterns = router.urls
