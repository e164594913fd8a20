from rest_framework.routers import DefaultRouter

from workflow.api import orders, views

router = DefaultRouter()
router.include_root_view = False
router.register("filters", views.SavedFilterViewSet, basename="saved-filter")
router.register("disposition-policies", views.DispositionPolicyViewSet,
                basename="disposition-policy")
router.register("settings-rules", views.SettingsRuleViewSet, basename="settings-rule")
router.register("orders", orders.OrderViewSet, basename="order")
urlpatterns = router.urls
