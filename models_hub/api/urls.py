from rest_framework.routers import DefaultRouter

from models_hub.api import views

router = DefaultRouter()
router.include_root_view = False
router.register("asset-allocations", views.AllocationViewSet, basename="asset-allocation")
router.register("security-models", views.ProductViewSet, basename="security-model")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("model-changes", views.ModelChangeViewSet, basename="model-change")
router.register("approved-alternatives", views.ApprovedAlternativeViewSet,
                basename="approved-alternative")
router.register("equivalence-sets", views.EquivalenceSetViewSet, basename="equivalence-set")
router.register("customization-limits", views.CustomizationLimitViewSet,
                basename="customization-limit")
router.register("model-providers", views.ProviderViewSet, basename="model-provider")
router.register("fee-schedules", views.FeeScheduleViewSet, basename="fee-schedule")
router.register("model-subscriptions", views.SubscriptionViewSet, basename="model-subscription")
router.register("fee-accruals", views.FeeAccrualViewSet, basename="fee-accrual")
router.register("billing-statements", views.BillingStatementViewSet,
                basename="billing-statement")
urlpatterns = router.urls
