from django.urls import path

from dataops.views_operations import operations_feeds

urlpatterns = [path("", operations_feeds, name="operations-feeds")]
