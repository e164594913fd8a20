from django.urls import path

from reports import views

urlpatterns = [
    path("", views.record_list, name="record-list"),
    path("export/", views.record_export, name="record-export"),
    path("export/runs/", views.record_export_rows, name="record-export-rows"),
    path("export/runs/<int:pk>/download/", views.record_export_download,
         name="record-export-download"),
    path("<int:pk>/", views.record_detail_page, name="record-detail"),
]
