from django.urls import path

from workflow import views_settings_rules

urlpatterns = [
    path("", views_settings_rules.settings_rule_list, name="settings-rule-list"),
    path("new/", views_settings_rules.settings_rule_new, name="settings-rule-new"),
    path("<int:pk>/", views_settings_rules.settings_rule_edit, name="settings-rule-edit"),
]
