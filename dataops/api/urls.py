from rest_framework.routers import DefaultRouter

from dataops.api import views

router = DefaultRouter()
router.include_root_view = False
router.register("feeds", views.FeedFileViewSet, basename="feed-file")
router.register("unknown-securities", views.UnknownSecurityViewSet, basename="unknown-security")
urlpatterns = router.urls
