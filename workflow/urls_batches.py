from django.urls import path

from workflow import views_batches as views

urlpatterns = [
    path("", views.batch_queue, name="batch-queue"),
    path("release-controls/", views.release_control_page, name="release-control"),
    path("<int:pk>/", views.batch_detail, name="batch-detail"),
    path("<int:pk>/decision/", views.batch_approve_page, name="batch-decision"),
    path("<int:pk>/consent/", views.batch_consent_page, name="batch-consent"),
    path("<int:pk>/release/", views.batch_release_page, name="batch-release"),
    path("trades/<int:pk>/", views.batch_trade_edit_page, name="batch-trade-edit"),
]
