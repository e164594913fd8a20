from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import settings as settings_api
from accounts.api import views
from accounts.api.custom_fields import CustomFieldViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("households", views.HouseholdViewSet, basename="household")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
urlpatterns = [
    *router.urls,
    *settings_api.router.urls,
    path("setting-definitions/", settings_api.SettingDefinitionsView.as_view(),
         name="setting-definitions"),
]
