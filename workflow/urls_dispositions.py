from django.urls import path

from workflow import views_dispositions

urlpatterns = [
    path("policies/", views_dispositions.policy_list, name="policy-list"),
    path("runs/<int:pk>/", views_dispositions.run_dispositions, name="run-dispositions"),
]
