from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from rebal.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("api-tokens", views.APITokenViewSet, basename="api-token")
router.register("memberships", views.MembershipViewSet, basename="membership")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include(router.urls)),
]
