from django.urls import path

from accounts import views_grants

urlpatterns = [
    path("", views_grants.grant_list, name="grant-list"),
    path("members/<int:pk>/", views_grants.grant_member, name="grant-member"),
]
