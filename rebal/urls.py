"""URLs. Apps' routes are included by dotted path so the core never imports the rooms above it."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from rebal.observability import metrics
from rebal.views import administration, auth, health, home, sign_on, teams

api_v1 = [
    path("", include("rebal.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("accounts.api.holds")),
    path("", include("accounts.api.corporate_actions")),
    path("", include("dataops.api.urls")),
    path("", include("models_hub.api.urls")),
    path("", include("optimizer.api.urls")),
    path("", include("workflow.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("auth/login/", auth.LoginView.as_view(), name="login"),
    path("auth/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/second-factor/", auth.otp, name="otp"),
    path("auth/password/", auth.PasswordChangeView.as_view(), name="password-change"),
    path("auth/sso/", sign_on.sso_start, name="sso-start"),
    path("auth/sso/callback/", sign_on.sso_callback, name="sso-callback"),
    path("firm/switch/", home.firm_switch, name="firm-switch"),
    path("alerts/<int:pk>/acknowledge/", home.alert_acknowledge, name="alert-acknowledge"),
    path("administration/", administration.dashboard, name="administration"),
    path("administration/members/", administration.member_list, name="member-list"),
    path("administration/members/<int:pk>/", administration.member_edit, name="member-edit"),
    path("administration/members/<int:pk>/active/", administration.member_set_active,
         name="member-set-active"),
    path("administration/teams/", teams.team_list, name="team-list"),
    path("administration/teams/<int:pk>/", teams.team_detail, name="team-detail"),
    path("administration/teams/<int:pk>/delete/", teams.team_delete, name="team-delete"),
    path("administration/grants/", include("accounts.urls_grants")),
    path("administration/schedules/", include("workflow.urls_admin")),
    path("administration/api-tokens/", administration.token_list, name="token-list"),
    path("administration/sign-on/", sign_on.sign_on_settings, name="sign-on-settings"),
    path("administration/api-tokens/<int:pk>/revoke/", administration.token_revoke,
         name="token-revoke"),
    path("", include("accounts.urls")),
    path("data/", include("dataops.urls")),
    path("data/", include("accounts.urls_data")),
    path("data/", include("accounts.urls_corporate_actions")),
    path("operations/feeds/", include("dataops.urls_operations")),
    path("runs/", include("workflow.urls")),
    path("operations/runs/", include("workflow.urls_operations")),
    path("operations/firms/", include("workflow.urls_onboarding")),
    path("workflow/filters/", include("workflow.urls_filters")),
    path("workflow/settings-rules/", include("workflow.urls_settings_rules")),
    path("workflow/dispositions/", include("workflow.urls_dispositions")),
    path("workflow/batches/", include("workflow.urls_batches")),
    path("records/", include("reports.urls")),
    path("compliance/", include("reports.urls_compliance")),
    path("reports/", include("reports.urls_reports")),
    path("advisor/", include("optimizer.urls_advisor")),
    path("overlay/", include("workflow.urls_overlay")),
    path("management/kpis/", include("workflow.urls_kpis")),
    path("management/", include("workflow.urls_management")),
    path("ipc/", include("models_hub.urls_ipc")),
    path("ipc/", include("workflow.urls_ipc")),
    path("api/v1/", include((api_v1, "api"))),
]
handler500 = "rebal.views.errors.server_error"
