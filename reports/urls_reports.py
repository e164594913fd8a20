from django.urls import path

from reports import (
    views_activity,
    views_health_check,
    views_report_runs,
    views_taxes_saved,
)

urlpatterns = [
    path("taxes-saved/", views_taxes_saved.taxes_saved_page, name="taxes-saved"),
    path("taxes-saved/accounts/<int:pk>/", views_taxes_saved.taxes_saved_account_page,
         name="taxes-saved-account"),
    path("activity/", views_activity.activity_page, name="activity"),
    path("activity/accounts/<int:pk>/", views_activity.activity_account_page,
         name="activity-account"),
    path("health-check/", views_health_check.health_check_page, name="health-check"),
    path("health-check/accounts/<int:pk>/respond/", views_health_check.health_check_respond_page,
         name="health-check-respond"),
    path("runs/", views_report_runs.report_run_list, name="report-run-list"),
    path("runs/<int:pk>/pdf/", views_report_runs.report_run_file, {"file_format": "pdf"},
         name="report-run-pdf"),
    path("runs/<int:pk>/csv/", views_report_runs.report_run_file, {"file_format": "csv"},
         name="report-run-csv"),
]
