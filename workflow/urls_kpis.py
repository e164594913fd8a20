from django.urls import path

from workflow import views_kpis

urlpatterns = [
    path("", views_kpis.kpi_page, name="kpi-page"),
]
