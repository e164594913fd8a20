from django.urls import path

from dataops import views

urlpatterns = [
    path("feeds/", views.feed_list, name="feed-list"),
    path("feeds/<int:pk>/", views.feed_detail, name="feed-detail"),
    path("monitor/", views.feed_monitor, name="feed-monitor"),
]
