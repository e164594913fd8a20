from rest_framework.routers import DefaultRouter

from optimizer.api.views import AccountAnalysisViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("account-analyses", AccountAnalysisViewSet, basename="account-analysis")
urlpatterns = router.urls
