from django.urls import path

from workflow import views_overlay

urlpatterns = [
    path("", views_overlay.overlay_dashboard, name="overlay-dashboard"),
]
