"""Data-exception pages of the accounts room, under /data/ beside the feed pages."""

from django.urls import path

from accounts import views_data, views_data_dashboard

urlpatterns = [
    path("", views_data_dashboard.data_dashboard, name="data-dashboard"),
    path("holds/", views_data.data_exceptions, name="data-exceptions"),
    path("unknown-securities/", views_data.unknown_security_list,
         name="unknown-security-list"),
    path("unknown-securities/<int:pk>/add/", views_data.unknown_security_add_page,
         name="unknown-security-add"),
    path("unknown-securities/<int:pk>/map/", views_data.unknown_security_map_page,
         name="unknown-security-map"),
]
