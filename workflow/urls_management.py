from django.urls import path

from workflow import views_management

urlpatterns = [
    path("", views_management.management_dashboard, name="management-dashboard"),
]
