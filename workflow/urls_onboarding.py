from django.urls import path

from workflow import views_onboarding

urlpatterns = [
    path("", views_onboarding.firm_list, name="operations-firms"),
    path("new/", views_onboarding.firm_new, name="operations-firm-new"),
    path("offboard/", views_onboarding.firm_offboard_view, name="operations-firm-offboard"),
]
