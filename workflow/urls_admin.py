from django.urls import path

from workflow import views_admin

urlpatterns = [
    path("", views_admin.schedules, name="admin-schedules"),
]
