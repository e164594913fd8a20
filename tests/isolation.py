"""The isolation harness's route registry: every URL pattern, and how to attack it from firm B.

Adding a route without adding it here fails `test_every_route_is_covered`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Public:
    """Holds no firm data (sign-in, health, schema)."""

    why: str


@dataclass(frozen=True)
class OperatorOnly:
    """Hosting staff's monitoring across firms: anyone of a firm gets 404."""

    why: str


@dataclass(frozen=True)
class PageList:
    """A page listing firm data: firm B must see none of firm A's markers."""

    markers: Callable[[Any], list[str]]  # texts of firm A's objects that A's admin sees


@dataclass(frozen=True)
class PageObject:
    """A page about one object of firm A: 404 for firm B, whatever the method."""

    obj: Callable[[Any], Any]
    methods: tuple[str, ...] = ("get",)


@dataclass(frozen=True)
class ApiList:
    """An API list: firm B's results share no id with firm A's."""

    ids: Callable[[Any], set[int]]


@dataclass(frozen=True)
class ApiObject:
    """An API route about one object of firm A: 404 for firm B."""

    obj: Callable[[Any], Any]
    methods: tuple[str, ...] = ("get", "patch", "delete")
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiExport:
    """An API download of firm data (a file, not a page of results): firm B's download holds
    none of firm A's markers (tests/reports/test_records_isolation.py)."""

    markers: Callable[[Any], list[str]]


ROUTES: dict[str, Any] = {
    "home": PageList(lambda a: [a.alert.subject]),
    "operations-feeds": OperatorOnly("file-transfer monitoring of every firm"),
    "operations-runs": OperatorOnly("nightly-run monitoring of every firm"),
    "operations-firms": OperatorOnly("every firm's code, schedule and head count"),
    "operations-firm-new": OperatorOnly("onboarding a new firm"),
    "operations-firm-offboard": OperatorOnly("offboarding a firm (POST only)"),
    "run-list": PageList(lambda a: [_run_url(a)]),
    "run-detail": PageObject(lambda a: a.run),
    "run-rerun-failed": PageObject(lambda a: a.run, methods=("post",)),
    "healthz": Public("process liveness only"),
    "readyz": Public("dependency status only"),
    "metrics": OperatorOnly("monitoring gauges of every firm, for the scraper's token only"),
    "login": Public("sign-in form"),
    "logout": Public("ends the caller's own session"),
    "otp": Public("the caller's own second factor"),
    "password-change": Public("the caller's own password"),
    "sso-start": Public("asks for a firm code; redirects to that firm's own provider"),
    "sso-callback": Public("finishes the caller's own sign-in, started in their session"),
    "sign-on-settings": PageList(lambda a: [_sign_on_issuer(a)]),
    "firm-switch": Public("switches only among the caller's own memberships"),
    "alert-acknowledge": PageObject(lambda a: a.alert, methods=("post",)),
    "member-list": PageList(lambda a: [a.personas.advisor.email]),
    # The firm admin's pages (rebal.views.administration and teams, accounts.views_grants,
    # workflow.views_admin).
    "administration": PageList(lambda a: []),  # counts only
    "member-edit": PageObject(lambda a: a.membership, methods=("get", "post")),
    "member-set-active": PageObject(lambda a: a.membership, methods=("post",)),
    "team-list": PageList(lambda a: [_team(a).name]),
    "team-detail": PageObject(lambda a: _team(a), methods=("get", "post")),
    "team-delete": PageObject(lambda a: _team(a), methods=("post",)),
    "grant-list": PageList(lambda a: [a.personas.advisor.email]),
    "grant-member": PageObject(lambda a: a.membership, methods=("get", "post")),
    "admin-schedules": PageList(lambda a: []),  # the firm's own schedule and expected feeds
    "token-list": PageList(lambda a: [a.token.name]),
    "token-revoke": PageObject(lambda a: a.token, methods=("post",)),
    "household-list": PageList(lambda a: [a.personas.household.name]),
    "household-detail": PageObject(lambda a: a.personas.household),
    "account-list": PageList(lambda a: [a.personas.account.name]),
    "account-detail": PageObject(lambda a: a.personas.account),
    "account-settings": PageObject(lambda a: a.personas.account, methods=("get", "post")),
    # The advisor's pages (optimizer.views_advisor).
    "advisor-dashboard": PageList(lambda a: [a.personas.account.account_number]),
    "advisor-account": PageObject(lambda a: a.personas.account),
    "advisor-customize": PageObject(lambda a: a.personas.account, methods=("get", "post")),
    "advisor-customize-check": PageObject(lambda a: a.personas.account, methods=("post",)),
    "advisor-customize-what-if": PageObject(lambda a: a.personas.account, methods=("post",)),
    # The overlay manager's dashboard (workflow.views_overlay): the latest run, the rules.
    "overlay-dashboard": PageList(lambda a: [_run_url(a), _workflow(a).settings_rule.name]),
    # Management's KPIs (workflow.views_kpis): counts per run and advisor e-mail.
    "kpi-page": PageList(lambda a: [_kpi_advisor(a)]),
    # Management's dashboard (workflow.views_management): the management review list.
    "management-dashboard": PageList(lambda a: [_management_account(a)]),
    # The investment policy committee's pages (models_hub.views_ipc, workflow.views_ipc).
    "ipc-allocation-list": PageList(lambda a: [a.hub.allocation.code]),
    "ipc-allocation-detail": PageObject(lambda a: a.hub.allocation),
    "ipc-allocation-edit": PageObject(lambda a: a.hub.allocation, methods=("get", "post")),
    "ipc-product-list": PageList(lambda a: [a.hub.product.code]),
    "ipc-product-detail": PageObject(lambda a: a.hub.product),
    "ipc-product-edit": PageObject(lambda a: a.hub.product, methods=("get", "post")),
    "ipc-program-list": PageList(lambda a: [a.hub.program.code]),
    "ipc-program-detail": PageObject(lambda a: a.hub.program),
    "ipc-equivalence-set-list": PageList(lambda a: [a.hub.equivalence_set.code]),
    "ipc-equivalence-set-detail": PageObject(lambda a: a.hub.equivalence_set),
    "ipc-limit-list": PageList(lambda a: [a.hub.limit.name]),
    "ipc-limit-detail": PageObject(lambda a: a.hub.limit),
    "ipc-subscription-list": PageList(lambda a: [a.hub.subscription.provider.code]),
    "ipc-subscription-detail": PageObject(lambda a: a.hub.subscription),
    "ipc-change-list": PageList(lambda a: [a.hub.change.summary]),
    "ipc-change-detail": PageObject(lambda a: a.hub.change),
    "ipc-change-preview": PageObject(lambda a: a.hub.change, methods=("post",)),
    "ipc-change-decide": PageObject(lambda a: a.hub.change, methods=("post",)),
    "api:api-me": Public("describes the caller only"),
    "api:api-schema": Public("the OpenAPI schema, no data"),
    "api:alert-list": ApiList(lambda a: {a.alert.pk}),
    "api:alert-detail": ApiObject(lambda a: a.alert),
    "api:alert-acknowledge": ApiObject(lambda a: a.alert, methods=("post",)),
    "api:api-token-list": ApiList(lambda a: {a.token.pk}),
    "api:api-token-detail": ApiObject(lambda a: a.token),
    "api:api-token-revoke": ApiObject(lambda a: a.token, methods=("post",),
                                      extra={"reason": "attack"}),
    "api:membership-list": ApiList(lambda a: {a.membership.pk}),
    "api:membership-detail": ApiObject(lambda a: a.membership),
    "api:household-list": ApiList(lambda a: {a.personas.household.pk}),
    "api:household-detail": ApiObject(lambda a: a.personas.household),
    "api:account-list": ApiList(lambda a: {a.personas.account.pk}),
    "api:account-detail": ApiObject(lambda a: a.personas.account),
    "api:account-lots": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-realized": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-wash-sale-windows": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:custom-field-list": ApiList(lambda a: {a.custom_field.pk}),
    "api:custom-field-detail": ApiObject(lambda a: a.custom_field, methods=("get",)),
    "api:custom-field-retype": ApiObject(lambda a: a.custom_field, methods=("post",),
                                         extra={"field_type": "number", "reason": "attack"}),
    "feed-list": PageList(lambda a: [a.data.feed_file.delivered_by, _feed_url(a)]),
    "feed-detail": PageObject(lambda a: a.data.feed_file),
    "feed-monitor": PageList(lambda a: [_feed_url(a)]),
    "unknown-security-list": PageList(lambda a: [a.data.unknown_security.ticker]),
    "unknown-security-add": PageObject(lambda a: a.data.unknown_security, methods=("post",)),
    "unknown-security-map": PageObject(lambda a: a.data.unknown_security, methods=("post",)),
    # The data manager's dashboard (accounts.views_data_dashboard).
    "data-dashboard": PageList(lambda a: [a.data.unknown_security.ticker, _feed_url(a),
                                          a.data.corporate_action.action_id,
                                          a.data.reconciliation_break.reason]),
    "data-exceptions": PageList(lambda a: [a.data.hold.reason,
                                           a.data.reconciliation_break.reason]),
    "corporate-action-list": PageList(lambda a: [a.data.corporate_action.action_id]),
    "corporate-action-report": PageList(lambda a: [a.data.corporate_action.problem]),
    "corporate-action-detail": PageObject(lambda a: a.data.corporate_action),
    "corporate-action-correct": PageObject(lambda a: a.data.corporate_action,
                                           methods=("post",)),
    "corporate-action-cancel": PageObject(lambda a: a.data.corporate_action, methods=("post",)),
    "api:corporate-action-list": ApiList(lambda a: {a.data.corporate_action.pk}),
    "api:corporate-action-detail": ApiObject(lambda a: a.data.corporate_action),
    "api:corporate-action-holders": ApiObject(lambda a: a.data.corporate_action,
                                              methods=("get",)),
    "api:corporate-action-correct": ApiObject(
        lambda a: a.data.corporate_action, methods=("post",),
        extra={"changes": {"basis_allocation_pct": "10"}, "reason": "attack"}),
    "api:corporate-action-cancel": ApiObject(lambda a: a.data.corporate_action,
                                             methods=("post",), extra={"reason": "attack"}),
    "api:feed-file-list": ApiList(lambda a: {a.data.feed_file.pk}),
    "api:feed-file-detail": ApiObject(lambda a: a.data.feed_file),
    "api:feed-file-quarantined-rows": ApiObject(lambda a: a.data.feed_file, methods=("get",)),
    "api:unknown-security-list": ApiList(lambda a: {a.data.unknown_security.pk}),
    "api:unknown-security-detail": ApiObject(lambda a: a.data.unknown_security),
    "api:unknown-security-add": ApiObject(
        lambda a: a.data.unknown_security, methods=("post",),
        extra={"name": "attack", "security_type": "equity", "asset_class": "EQ",
               "reason": "attack"}),
    "api:unknown-security-map": ApiObject(lambda a: a.data.unknown_security, methods=("post",),
                                          extra={"security": "1", "reason": "attack"}),
    "api:account-hold-list": ApiList(lambda a: {a.data.hold.pk}),
    "api:account-hold-detail": ApiObject(lambda a: a.data.hold),
    "api:account-hold-clear": ApiObject(lambda a: a.data.hold, methods=("post",),
                                        extra={"reason": "attack"}),
    # Analyses (optimizer.api): the latest analysis, its history, a what-if.
    "api:account-analysis-detail": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-analysis-history": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-analysis-what-if": ApiObject(
        lambda a: a.personas.account, methods=("post",),
        extra={"changes": {"tracking": "loose"}}),
    # Settings (accounts.api.settings): effective settings, layers, targets, history.
    "api:setting-definitions": Public("the settings catalog: labels and help, no firm data"),
    "api:account-settings-detail": ApiObject(
        lambda a: a.personas.account, methods=("get", "patch"),
        extra={"changes": {"tracking": "loose"}, "reason": "attack"}),
    "api:account-settings-history": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-settings-target": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-settings-tax-rates": ApiObject(
        lambda a: a.personas.account, methods=("get", "patch"),
        extra={"changes": {"federal_long_term_rate": "0"}, "reason": "attack"}),
    "api:household-settings-detail": ApiObject(
        lambda a: a.personas.household, methods=("get", "patch"),
        extra={"changes": {"tracking": "loose"}, "reason": "attack"}),
    "api:household-settings-history": ApiObject(lambda a: a.personas.household,
                                                methods=("get",)),
    "api:firm-settings-list": ApiList(lambda a: {a.hub.firm_settings.pk}),
    "api:firm-settings-detail": ApiObject(
        lambda a: a.hub.firm_settings, methods=("get", "patch"),
        extra={"changes": {"tracking": "loose"}, "reason": "attack"}),
    "api:firm-settings-history": ApiObject(lambda a: a.hub.firm_settings, methods=("get",)),
    "api:commission-schedule-list": ApiList(lambda a: {a.hub.commission_schedule.pk}),
    "api:commission-schedule-detail": ApiObject(
        lambda a: a.hub.commission_schedule, methods=("get", "patch"),
        extra={"name": "attack", "reason": "attack"}),
    # The model book (models_hub.api).
    "api:asset-allocation-list": ApiList(lambda a: {a.hub.allocation.pk}),
    "api:asset-allocation-detail": ApiObject(lambda a: a.hub.allocation),
    "api:asset-allocation-history": ApiObject(lambda a: a.hub.allocation, methods=("get",)),
    "api:security-model-list": ApiList(lambda a: {a.hub.product.pk}),
    "api:security-model-detail": ApiObject(lambda a: a.hub.product),
    "api:security-model-history": ApiObject(lambda a: a.hub.product, methods=("get",)),
    "api:security-model-versions": ApiObject(lambda a: a.hub.product, methods=("get",)),
    "api:program-list": ApiList(lambda a: {a.hub.program.pk}),
    "api:program-detail": ApiObject(lambda a: a.hub.program),
    "api:program-history": ApiObject(lambda a: a.hub.program, methods=("get",)),
    "api:program-target": ApiObject(lambda a: a.hub.program, methods=("get",)),
    "api:model-change-list": ApiList(lambda a: {a.hub.change.pk}),
    "api:model-change-detail": ApiObject(lambda a: a.hub.change),
    "api:model-change-history": ApiObject(lambda a: a.hub.change, methods=("get",)),
    "api:model-change-approve": ApiObject(lambda a: a.hub.change, methods=("post",),
                                          extra={"reason": "attack"}),
    "api:model-change-reject": ApiObject(lambda a: a.hub.change, methods=("post",),
                                         extra={"reason": "attack"}),
    "api:model-change-withdraw": ApiObject(lambda a: a.hub.change, methods=("post",),
                                           extra={"reason": "attack"}),
    "api:approved-alternative-list": ApiList(lambda a: {a.hub.alternative.pk}),
    "api:approved-alternative-detail": ApiObject(lambda a: a.hub.alternative,
                                                 extra={"reason": "attack"}),
    "api:approved-alternative-history": ApiObject(lambda a: a.hub.alternative,
                                                  methods=("get",)),
    "api:equivalence-set-list": ApiList(lambda a: {a.hub.equivalence_set.pk}),
    "api:equivalence-set-detail": ApiObject(lambda a: a.hub.equivalence_set,
                                            extra={"reason": "attack"}),
    "api:equivalence-set-history": ApiObject(lambda a: a.hub.equivalence_set,
                                             methods=("get",)),
    "api:customization-limit-list": ApiList(lambda a: {a.hub.limit.pk}),
    "api:customization-limit-detail": ApiObject(lambda a: a.hub.limit,
                                                extra={"max_change": "1", "reason": "attack"}),
    "api:customization-limit-history": ApiObject(lambda a: a.hub.limit, methods=("get",)),
    # The model hub: providers, contracts, fees, bills.
    "api:model-provider-list": ApiList(lambda a: {a.hub.provider.pk}),
    "api:model-provider-detail": ApiObject(lambda a: a.hub.provider,
                                           extra={"name": "attack", "reason": "attack"}),
    "api:model-provider-history": ApiObject(lambda a: a.hub.provider, methods=("get",)),
    "api:fee-schedule-list": ApiList(lambda a: {a.hub.fee_schedule.pk}),
    "api:fee-schedule-detail": ApiObject(lambda a: a.hub.fee_schedule,
                                         extra={"name": "attack", "reason": "attack"}),
    "api:fee-schedule-history": ApiObject(lambda a: a.hub.fee_schedule, methods=("get",)),
    "api:model-subscription-list": ApiList(lambda a: {a.hub.subscription.pk}),
    "api:model-subscription-detail": ApiObject(lambda a: a.hub.subscription),
    "api:model-subscription-history": ApiObject(lambda a: a.hub.subscription,
                                                methods=("get",)),
    "api:model-subscription-activate": ApiObject(
        lambda a: a.hub.subscription, methods=("post",),
        extra={"date": "2026-11-01", "reason": "attack"}),
    "api:model-subscription-terminate": ApiObject(
        lambda a: a.hub.subscription, methods=("post",),
        extra={"date": "2026-11-01", "reason": "attack"}),
    "api:fee-accrual-list": ApiList(lambda a: {a.hub.accrual.pk}),
    "api:fee-accrual-detail": ApiObject(lambda a: a.hub.accrual),
    "api:billing-statement-list": ApiList(lambda a: {a.hub.statement.pk}),
    "api:billing-statement-detail": ApiObject(lambda a: a.hub.statement),
    "api:billing-statement-csv": ApiObject(lambda a: a.hub.statement, methods=("get",)),
    "api:billing-statement-html": ApiObject(lambda a: a.hub.statement, methods=("get",)),
    "api:billing-statement-pdf": ApiObject(lambda a: a.hub.statement, methods=("get",)),
    # Filters, dispositions policies and settings rules (workflow pages and API).
    "filter-list": PageList(lambda a: [_workflow(a).saved_filter.name]),
    "filter-new": PageList(lambda a: [a.custom_field.name]),  # the field list names them
    "filter-row": PageList(lambda a: [a.custom_field.name]),
    # The live count counts the caller's own firm's accounts; nothing of A's to mark.
    "filter-count": PageList(lambda a: []),
    "filter-edit": PageObject(lambda a: _workflow(a).saved_filter, methods=("get", "post")),
    "filter-saved-count": PageObject(lambda a: _workflow(a).saved_filter),
    "api:saved-filter-list": ApiList(lambda a: {_workflow(a).saved_filter.pk}),
    "api:saved-filter-detail": ApiObject(lambda a: _workflow(a).saved_filter, extra={
        "name": "attack", "query": {"all": []}, "shared": "true"}),
    "api:saved-filter-count": ApiObject(lambda a: _workflow(a).saved_filter, methods=("get",)),
    "api:saved-filter-accounts": ApiObject(lambda a: _workflow(a).saved_filter,
                                           methods=("get",)),
    "api:disposition-policy-list": ApiList(lambda a: {_workflow(a).policy.pk}),
    "api:disposition-policy-detail": ApiObject(
        lambda a: _workflow(a).policy, methods=("get", "patch"),
        extra={"name": "attack", "target": "auto_trade", "priority": "1",
               "query": {"all": []}, "reason": "attack"}),
    "api:settings-rule-list": ApiList(lambda a: {_workflow(a).settings_rule.pk}),
    "api:settings-rule-detail": ApiObject(
        lambda a: _workflow(a).settings_rule, methods=("get", "patch"),
        extra={"name": "attack", "query": {"all": []}, "reason": "attack"}),
    "api:settings-rule-preview": ApiObject(lambda a: _workflow(a).settings_rule,
                                           methods=("post",),
                                           extra={"name": "attack", "query": {"all": []}}),
    "settings-rule-list": PageList(lambda a: [_workflow(a).settings_rule.name]),
    "settings-rule-new": PageList(lambda a: [_workflow(a).saved_filter.name]),
    "settings-rule-edit": PageObject(lambda a: _workflow(a).settings_rule,
                                     methods=("get", "post")),
    "policy-list": PageList(lambda a: [_workflow(a).policy.name]),
    "run-dispositions": PageObject(lambda a: a.run),
    # The OMS API (workflow.api.orders).
    "api:order-list": ApiList(lambda a: {_order(a).pk}),
    "api:order-detail": ApiObject(lambda a: _order(a), methods=("get",)),
    "api:order-acknowledge": ApiObject(lambda a: _order(a), methods=("post",),
                                       extra={"broker": "attack"}),
    "api:order-fills": ApiObject(lambda a: _order(a), methods=("post",), extra={
        "execution_id": "attack", "shares": "1", "price": "1",
        "executed_at": "2026-11-25T15:00:00Z"}),
    "api:order-cancel": ApiObject(lambda a: _order(a), methods=("post",),
                                  extra={"reason": "attack"}),
    # Trade review pages (workflow.views_batches).
    "batch-queue": PageList(lambda a: [_batch_url(a)]),
    "batch-detail": PageObject(lambda a: _order(a).batch),
    "batch-decision": PageObject(lambda a: _order(a).batch, methods=("post",)),
    "batch-consent": PageObject(lambda a: _order(a).batch, methods=("post",)),
    "batch-release": PageObject(lambda a: _order(a).batch, methods=("post",)),
    "batch-trade-edit": PageObject(lambda a: _order(a).trade, methods=("post",)),
    # The caller's own firm's switch; there is nothing of A's to show or change.
    "release-control": PageList(lambda a: []),
    # Analysis records (reports pages and API); the exports carry the records' summaries.
    "record-list": PageList(lambda a: [_record(a).summary]),
    "record-detail": PageObject(lambda a: _record(a)),
    "record-export": PageList(lambda a: [_record_export(a).sha256]),  # the form and exports
    "record-export-rows": PageList(lambda a: [_record_export(a).sha256]),
    "record-export-download": PageObject(lambda a: _record_export(a)),
    "api:record-export-list": ApiList(lambda a: {_record_export(a).pk}),
    "api:record-export-detail": ApiObject(lambda a: _record_export(a), methods=("get",)),
    "api:record-export-api-download": ApiObject(lambda a: _record_export(a), methods=("get",)),
    "api:record-list": ApiList(lambda a: {_record(a).pk}),
    "api:record-detail": ApiObject(lambda a: _record(a), methods=("get",)),
    "api:record-export": ApiExport(lambda a: [_record(a).summary]),
    "api:record-export-checksum": ApiExport(lambda a: []),  # a checksum of the firm's own
    # Reports (taxes saved) for the firm and for one account; PDF and CSV are formats of these.
    "taxes-saved": PageList(lambda a: [a.personas.account.account_number]),
    "taxes-saved-account": PageObject(lambda a: a.personas.account),
    "activity": PageList(lambda a: []),
    "activity-account": PageObject(lambda a: a.personas.account),
    "health-check": PageList(lambda a: [a.personas.account.account_number]),
    "health-check-respond": PageObject(lambda a: a.personas.account, methods=("post",)),
    "report-run-list": PageList(lambda a: [_report_run(a).start.isoformat()]),
    "report-run-pdf": PageObject(lambda a: _report_run(a)),
    "report-run-csv": PageObject(lambda a: _report_run(a)),
    # Compliance's pages (reports.views_compliance): a compliance hold, an audited change.
    "compliance-dashboard": PageList(lambda a: [_compliance_hold(a)]),
    "audit-history": PageList(lambda a: [_audited_change(a)]),
}


def _compliance_hold(a: Any) -> str:
    from tests.reports.compliance_rows import compliance_hold_reason

    return compliance_hold_reason(a.personas)


def _audited_change(a: Any) -> str:
    from tests.reports.compliance_rows import audited_change_reason

    return audited_change_reason(a.personas)


def _team(a: Any) -> Any:
    """Firm A's team (made on first use), named for the firm."""
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Team

    with firm_context(a.personas.firm), audit_context(system_job="tests"):
        team, _ = Team.objects.get_or_create(name=f"Team {a.personas.firm.code} West")
    return team


def _report_run(a: Any) -> Any:
    from tests.reports.report_run_rows import report_run_row

    return report_run_row(a.personas)


def _record_export(a: Any) -> Any:
    from tests.reports.record_export_rows import record_export_row

    return record_export_row(a.personas)


def _record(a: Any) -> Any:
    from tests.reports.isolation_rows import record_row

    return record_row(a.personas)


def _order(a: Any) -> Any:
    from tests.workflow.isolation_orders import released_order

    return released_order(a.personas)


def _management_account(a: Any) -> str:
    from tests.workflow.management_book import management_isolation_marker

    return management_isolation_marker(a.personas)


def _kpi_advisor(a: Any) -> str:
    """An account of firm A analyzed in yesterday's run, named for its advisor's e-mail."""
    from datetime import timedelta

    from django.utils import timezone

    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from workflow.models import NightlyRun, RunAccount

    personas = a.personas
    email = f"kpi-advisor@{personas.firm.code.lower()}.test"
    with firm_context(personas.firm), audit_context(system_job="tests"):
        run, _ = NightlyRun.objects.get_or_create(
            business_date=timezone.localdate() - timedelta(days=1), defaults={"trigger": "tests"})
        account = personas.other_account
        if account.advisor_email != email:
            account.advisor_email = email
            account.save()
        RunAccount.objects.get_or_create(run=run, account=account,
                                         defaults={"status": RunAccount.Status.ANALYZED})
    return email


def _batch_url(a: Any) -> str:
    from django.urls import reverse

    return reverse("batch-detail", kwargs={"pk": _order(a).batch_id})


def _workflow(a: Any) -> Any:
    from tests.workflow.isolation_rows import workflow_rows

    return workflow_rows(a.personas)


def _feed_url(a: Any) -> str:
    """A file's page address: unique to the file, so it marks firm A's file on any page."""
    from django.urls import reverse

    return reverse("feed-detail", kwargs={"pk": a.data.feed_file.pk})


def _sign_on_issuer(a: Any) -> str:
    """Firm A's sign-on provider (made on first use), named by its issuer."""
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import SignOnProvider

    code = a.personas.firm.code.lower()
    with firm_context(a.personas.firm), audit_context(system_job="tests"):
        provider = SignOnProvider.objects.first() or SignOnProvider.objects.create(
            issuer=f"https://sso.{code}.example", client_id=f"rebal-{code}",
            client_secret="s3cret")
    return provider.issuer


def _run_url(a: Any) -> str:
    """A run's page address: unique to the run, so it marks firm A's run on any page."""
    from django.urls import reverse

    return reverse("run-detail", kwargs={"pk": a.run.pk})


def all_route_names() -> set[str]:
    """Every named URL pattern of the site, with namespaces; unnamed patterns are errors."""
    names: set[str] = set()
    unnamed: list[str] = []

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                if entry.name:
                    names.add(namespace + entry.name)
                else:
                    unnamed.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "", "")
    assert not unnamed, f"unnamed routes cannot be covered: {unnamed}"
    return names
