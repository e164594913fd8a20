"""Sorting a run's accounts: one trading disposition each (suspend > review > auto-trade, by
the firm's policies in priority order) and any oversight lists, each with the policy and its
version that decided; and the firm's default policies, from common practice.

Each policy is one query over the firm's accounts (workflow.filters), limited to the run's
analyzed accounts, run inside an INSERT … SELECT or UPDATE: nothing comes back to Python.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from psycopg2.sql import SQL, Identifier

from rebal.audit import audit_context
from rebal.firm_context import require_firm
from workflow.filters import FilterCompiler, FilterError, query_check
from workflow.models import (
    AccountDisposition,
    Disposition,
    DispositionPolicy,
    NightlyRun,
    OversightList,
    RunAccount,
    SavedFilter,
)
from workflow.services.acting_scope import acting_scope
from workflow.services.kpi_summary import run_kpis_write

log = logging.getLogger(__name__)
Target = DispositionPolicy.Target

NO_POLICY = "no policy matched: review by default"
SMALL, LARGE = 250_000, 1_000_000
OPEN_DISCRETIONARY_CLEAN = [
    {"field": "status", "op": "eq", "value": "open"},
    {"field": "discretionary", "op": "is", "value": True},
    {"field": "approved_for_trading", "op": "is", "value": True},
    {"field": "has_hold", "op": "is", "value": False},
]


def default_policies(*, paperwork_field: bool) -> list[dict[str, Any]]:
    """The policies a firm starts with. Review thresholds fall as the account grows: a small
    account trades on its own up to 10% turnover and $1,000 of tax, a mid-size one up to 5%
    and $2,500, and every account of $1M or more is reviewed."""
    policies: list[dict[str, Any]] = [
        {"name": "Data errors", "target": Target.SUSPEND, "priority": 10,
         "query": {"field": "hold_kind", "op": "eq", "value": "data_error"}},
        {"name": "Pending close or closed", "target": Target.SUSPEND, "priority": 20,
         "query": {"field": "status", "op": "in",
                   "value": ["pending_close", "closed", "suspended"]}},
        {"name": "Suspended or under compliance review", "target": Target.SUSPEND,
         "priority": 30,
         "query": {"field": "hold_kind", "op": "in", "value": ["suspension", "compliance"]}},
        {"name": "Expected large withdrawal", "target": Target.SUSPEND, "priority": 40,
         # The cheap condition first: only accounts with a withdrawal pending are valued.
         "query": {"all": [{"field": "pending_withdrawal", "op": "gt", "value": 0},
                           {"field": "pending_withdrawal_percent", "op": "gt", "value": 20}]}},
        {"name": "Not discretionary or not approved for trading", "target": Target.REVIEW,
         "priority": 10,
         "query": {"any": [{"field": "discretionary", "op": "is", "value": False},
                           {"field": "approved_for_trading", "op": "is", "value": False}]}},
        {"name": "Large account", "target": Target.REVIEW, "priority": 20,
         "query": {"field": "market_value", "op": "gte", "value": LARGE}},
        {"name": "Mid-size account, notable impact", "target": Target.REVIEW, "priority": 30,
         "query": {"all": [{"field": "market_value", "op": "gte", "value": SMALL},
                           {"any": [{"field": "turnover", "op": "gt", "value": 5},
                                    {"field": "estimated_tax", "op": "gt", "value": 2500}]}]}},
        {"name": "Small account, large impact", "target": Target.REVIEW, "priority": 40,
         "query": {"all": [{"field": "market_value", "op": "lt", "value": SMALL},
                           {"any": [{"field": "turnover", "op": "gt", "value": 10},
                                    {"field": "estimated_tax", "op": "gt", "value": 1000}]}]}},
        {"name": "Small account, routine rebalance", "target": Target.AUTO_TRADE,
         "priority": 10,
         "query": {"all": [*OPEN_DISCRETIONARY_CLEAN,
                           {"field": "market_value", "op": "lt", "value": SMALL},
                           {"field": "turnover", "op": "lte", "value": 10},
                           {"field": "estimated_tax", "op": "lte", "value": 1000}]}},
        {"name": "Mid-size account, routine rebalance", "target": Target.AUTO_TRADE,
         "priority": 20,
         "query": {"all": [*OPEN_DISCRETIONARY_CLEAN,
                           {"field": "market_value", "op": "gte", "value": SMALL},
                           {"field": "market_value", "op": "lt", "value": LARGE},
                           {"field": "turnover", "op": "lte", "value": 5},
                           {"field": "estimated_tax", "op": "lte", "value": 2500}]}},
        {"name": "Large tax impact or non-discretionary trading",
         "target": Target.COMPLIANCE_REVIEW, "priority": 10,
         "query": {"any": [{"field": "estimated_tax", "op": "gt", "value": 25000},
                           {"all": [{"field": "discretionary", "op": "is", "value": False},
                                    {"field": "turnover", "op": "gt", "value": 0}]}]}},
        {"name": "Very large account or heavy turnover", "target": Target.MANAGEMENT_REVIEW,
         "priority": 10,
         "query": {"any": [{"field": "market_value", "op": "gte", "value": 5_000_000},
                           {"field": "turnover", "op": "gt", "value": 25}]}},
    ]
    if paperwork_field:
        policies.insert(4, {
            "name": "Incomplete paperwork", "target": Target.SUSPEND, "priority": 50,
            "query": {"field": "custom.paperwork_complete", "op": "is", "value": False}})
    return policies


@transaction.atomic
def disposition_policies_ensure_defaults(*, acting_user: Any = None) -> list[DispositionPolicy]:
    """Seed the firm's default policies when it has none (a no-op otherwise). The paperwork
    policy is seeded when the firm has a yes/no custom field `paperwork_complete`."""
    from accounts.models import CustomField

    if DispositionPolicy.objects.exists():
        return []
    paperwork = CustomField.objects.filter(name="paperwork_complete",
                                           field_type=CustomField.Type.BOOLEAN).exists()
    now = timezone.now()
    made = []
    with audit_context(user=acting_user, system_job="" if acting_user else "default policies",
                       reason="the firm's default dispositions policies"):
        for spec in default_policies(paperwork_field=paperwork):
            made.append(DispositionPolicy.objects.create(
                approved_by=acting_user, approved_at=now, **spec))
    return made


@transaction.atomic
def disposition_policy_save(*, policy: DispositionPolicy | None = None, name: str,
                            target: str, priority: int, query: Any = None,
                            saved_filter: SavedFilter | None = None, is_active: bool = True,
                            reason: str, acting_user: Any) -> DispositionPolicy:
    """Create or change a policy; every change is a new version, approved by the person who
    makes it, with the reason in the history."""
    if acting_scope(acting_user, "policy.manage") is None:
        raise PermissionDenied("Changing dispositions policies needs policy.manage.")
    if not (reason or "").strip():
        raise ValidationError("A reason is required to change a policy.")
    if target not in Target.values:
        raise ValidationError(f"Unknown target {target!r}; use one of "
                              f"{', '.join(Target.values)}.")
    query = saved_filter.query if saved_filter is not None and query is None else query
    try:
        query_check(query, firm_id=require_firm().pk)
    except FilterError as error:
        raise ValidationError(error.problems) from None
    row = policy or DispositionPolicy(version=0)
    row.name, row.target, row.priority, row.query = name, target, priority, query
    row.saved_filter, row.is_active = saved_filter, is_active
    row.version += 1
    row.approved_by, row.approved_at = acting_user, timezone.now()
    with audit_context(user=acting_user, reason=reason):
        row.save()
    return row


def _ordered(policies: list[DispositionPolicy]) -> list[DispositionPolicy]:
    rank = {target: i for i, target in enumerate(
        [*(d.value for d in Disposition), *(o.value for o in OversightList)])}
    return sorted(policies, key=lambda p: (rank[p.target], p.priority, p.pk))


def _account_ids_sql(queryset: Any) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


@transaction.atomic
def dispositions_assign(*, run_id: int, as_of: date) -> dict[str, int]:
    """Give every account of the run one disposition and its oversight lists, replacing any
    the run had; returns counts per disposition and list. Accounts the run did not analyze are
    suspended (there is nothing to trade); analyzed accounts no policy selects are reviewed.

    All in the database: one INSERT … SELECT per disposition policy in order (an account
    keeps the first), one UPDATE per oversight policy; no account is loaded into Python."""
    run = NightlyRun.objects.get(pk=run_id)
    if not DispositionPolicy.objects.exists():
        disposition_policies_ensure_defaults()
    policies = _ordered(list(DispositionPolicy.objects.filter(is_active=True)))
    compiler = FilterCompiler(firm_id=run.firm_id, as_of=as_of)
    outcomes = RunAccount.objects.filter(run=run)
    analyzed = outcomes.filter(status=RunAccount.Status.ANALYZED).values("account_id")
    insert = SQL("INSERT INTO {} (firm_id, run_id, account_id, disposition, policy_id, "
                 "policy_version, rule, oversight_lists, oversight_rules, created_at) ").format(
        Identifier(AccountDisposition._meta.db_table))
    outcome_table = Identifier(RunAccount._meta.db_table)
    skipped = 0
    AccountDisposition.objects.filter(run=run).delete()
    with connection.cursor() as cursor:
        cursor.execute(insert + SQL(
            "SELECT %s, %s, o.account_id, %s, NULL, NULL, "
            "left('not analyzed (' || o.status || '): ' || o.reason, 300), '{{}}', '[]', "
            "now() FROM {} o WHERE o.run_id = %s AND o.status <> %s").format(outcome_table),
            [run.firm_id, run.pk, Disposition.SUSPEND, run.pk, RunAccount.Status.ANALYZED])
        for policy in policies:
            try:
                selected = compiler.accounts(policy.query).filter(pk__in=analyzed)
            except FilterError as error:  # e.g. a custom field since deleted
                log.warning("policy %s refused: %s", policy.pk, error)
                skipped += 1
                continue
            # The compiled filter's own SQL, its values passed as parameters.
            subquery, params = _account_ids_sql(selected)
            if policy.is_oversight:
                entry = json.dumps([{"list": policy.target, "policy": policy.pk,
                                     "version": policy.version, "rule": policy.rule_label}])
                cursor.execute(SQL(
                    "UPDATE {} SET oversight_lists = array_append(oversight_lists, %s), "
                    "oversight_rules = oversight_rules || %s::jsonb "
                    "WHERE run_id = %s AND account_id IN ({})").format(
                    Identifier(AccountDisposition._meta.db_table), SQL(subquery)),
                    [policy.target, entry, run.pk, *params])
                continue
            cursor.execute(insert + SQL(
                "SELECT %s, %s, selected.pk, %s, %s, %s, %s, '{{}}', '[]', now() "
                "FROM ({}) AS selected ON CONFLICT (run_id, account_id) DO NOTHING").format(
                SQL(subquery)), [run.firm_id, run.pk, policy.target, policy.pk, policy.version,
                                 policy.rule_label[:300], *params])
        cursor.execute(insert + SQL(
            "SELECT %s, %s, o.account_id, %s, NULL, NULL, %s, '{{}}', '[]', now() "
            "FROM {} o WHERE o.run_id = %s AND o.status = %s "
            "ON CONFLICT (run_id, account_id) DO NOTHING").format(outcome_table),
            [run.firm_id, run.pk, Disposition.REVIEW, NO_POLICY, run.pk,
             RunAccount.Status.ANALYZED])
    run_kpis_write(run_ids=[run.pk])
    rows = AccountDisposition.objects.filter(run=run)
    counts = dict(rows.values_list("disposition").annotate(n=Count("pk")).order_by())
    result = {d.value: counts.get(d.value, 0) for d in Disposition}
    for oversight in OversightList:
        result[oversight.value] = rows.filter(oversight_lists__contains=[oversight.value]).count()
    if skipped:
        result["policies_refused"] = skipped
    return result
