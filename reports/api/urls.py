from rest_framework.routers import DefaultRouter

from reports.api.views import RecordViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("records", RecordViewSet, basename="record")
urlpatterns = router.urls
