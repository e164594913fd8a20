from django.urls import path

from workflow import views

urlpatterns = [
    path("", views.run_list, name="run-list"),
    path("<int:pk>/", views.run_detail, name="run-detail"),
    path("<int:pk>/rerun-failed/", views.run_rerun_failed, name="run-rerun-failed"),
]
