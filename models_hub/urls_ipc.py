from django.urls import path

from models_hub import views_ipc as views

urlpatterns = [
    path("allocations/", views.allocation_list, name="ipc-allocation-list"),
    path("allocations/<int:pk>/", views.allocation_detail, name="ipc-allocation-detail"),
    path("products/", views.product_list, name="ipc-product-list"),
    path("products/<int:pk>/", views.product_detail, name="ipc-product-detail"),
    path("programs/", views.program_list, name="ipc-program-list"),
    path("programs/<int:pk>/", views.program_detail, name="ipc-program-detail"),
    path("equivalence-sets/", views.equivalence_set_list, name="ipc-equivalence-set-list"),
    path("equivalence-sets/<int:pk>/", views.equivalence_set_detail,
         name="ipc-equivalence-set-detail"),
    path("limits/", views.limit_list, name="ipc-limit-list"),
    path("limits/<int:pk>/", views.limit_detail, name="ipc-limit-detail"),
    path("subscriptions/", views.subscription_list, name="ipc-subscription-list"),
    path("subscriptions/<int:pk>/", views.subscription_detail, name="ipc-subscription-detail"),
    path("changes/", views.change_list, name="ipc-change-list"),
]
