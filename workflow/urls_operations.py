from django.urls import path

from workflow.views_operations import operations_runs

urlpatterns = [path("", operations_runs, name="operations-runs")]
