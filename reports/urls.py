from django.urls import path

from reports import views

urlpatterns = [
    path("", views.record_list, name="record-list"),
    path("export/", views.record_export, name="record-export"),
    path("<int:pk>/", views.record_detail_page, name="record-detail"),
]
