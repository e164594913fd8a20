from django.urls import path

from reports import views_activity, views_taxes_saved

urlpatterns = [
    path("taxes-saved/", views_taxes_saved.taxes_saved_page, name="taxes-saved"),
    path("taxes-saved/accounts/<int:pk>/", views_taxes_saved.taxes_saved_account_page,
         name="taxes-saved-account"),
    path("activity/accounts/<int:pk>/", views_activity.activity_account_page,
         name="activity-account"),
]
