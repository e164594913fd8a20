from django.urls import path

from workflow import views_filters

urlpatterns = [
    path("", views_filters.filter_list, name="filter-list"),
    path("new/", views_filters.filter_new, name="filter-new"),
    path("count/", views_filters.filter_count, name="filter-count"),
    path("row/", views_filters.filter_row, name="filter-row"),
    path("<int:pk>/", views_filters.filter_edit, name="filter-edit"),
    path("<int:pk>/count/", views_filters.filter_saved_count, name="filter-saved-count"),
]
