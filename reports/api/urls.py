from rest_framework.routers import DefaultRouter

from reports.api.views import RecordExportViewSet, RecordViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("records", RecordViewSet, basename="record")
router.register("record-exports", RecordExportViewSet, basename="record-export")
urlpatterns = router.urls
