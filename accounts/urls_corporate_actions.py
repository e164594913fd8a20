"""The data manager's corporate-action pages, under /data/ beside the feed pages."""

from django.urls import path

from accounts import views_corporate_actions as views

urlpatterns = [
    path("corporate-actions/", views.corporate_action_list, name="corporate-action-list"),
    path("corporate-actions/report/", views.corporate_action_report,
         name="corporate-action-report"),
    path("corporate-actions/<int:pk>/", views.corporate_action_detail,
         name="corporate-action-detail"),
    path("corporate-actions/<int:pk>/correct/", views.corporate_action_correct_page,
         name="corporate-action-correct"),
    path("corporate-actions/<int:pk>/cancel/", views.corporate_action_cancel_page,
         name="corporate-action-cancel"),
]
