from django.urls import path

from reports import views_compliance

urlpatterns = [
    path("", views_compliance.compliance_dashboard, name="compliance-dashboard"),
    path("audit/", views_compliance.audit_history, name="audit-history"),
]
