from django.urls import path

from optimizer import views_advisor

urlpatterns = [
    path("", views_advisor.advisor_dashboard, name="advisor-dashboard"),
    path("accounts/<int:pk>/", views_advisor.advisor_account, name="advisor-account"),
    path("accounts/<int:pk>/customize/", views_advisor.customize, name="advisor-customize"),
    path("accounts/<int:pk>/customize/check/", views_advisor.customize_check,
         name="advisor-customize-check"),
    path("accounts/<int:pk>/customize/what-if/", views_advisor.customize_what_if,
         name="advisor-customize-what-if"),
]
