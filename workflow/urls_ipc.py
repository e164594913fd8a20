from django.urls import path

from workflow import views_ipc as views

urlpatterns = [
    path("allocations/<int:pk>/edit/", views.allocation_edit, name="ipc-allocation-edit"),
    path("products/<int:pk>/edit/", views.product_edit, name="ipc-product-edit"),
    path("changes/<int:pk>/", views.change_detail, name="ipc-change-detail"),
    path("changes/<int:pk>/preview/", views.change_preview, name="ipc-change-preview"),
    path("changes/<int:pk>/decide/", views.change_decide, name="ipc-change-decide"),
]
