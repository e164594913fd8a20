from django.urls import path

from accounts import views, views_settings

urlpatterns = [
    path("households/", views.household_list, name="household-list"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/<int:pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:pk>/settings/", views_settings.account_settings,
         name="account-settings"),
]
