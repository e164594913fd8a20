"""Reads for the overlay manager: batches with their review metrics (stored totals, sorted in
the database, so a page of the queue costs one query whatever the batches hold), a run's
accounts per disposition and oversight list, and the firm's active settings rules."""

from __future__ import annotations

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, NullIf

from workflow.models import (
    AccountDisposition,
    Disposition,
    NightlyRun,
    OversightList,
    SettingsChangeSet,
    SettingsRule,
    SettingsRuleExemption,
    TradeBatch,
)

# Queue column -> the annotation (or field) it sorts by; ties broken by the batch's number.
QUEUE_SORTS = {"batch": "pk", "run": "run__business_date", "disposition": "disposition",
               "status": "status", "accounts": "account_count", "trades": "trade_count",
               "bought": "bought", "sold": "sold", "turnover": "turnover",
               "gains": "realized_gain", "tax": "estimated_tax"}
QUEUE_DEFAULT_SORT = "-run"


def batches_with_metrics(batches: QuerySet[TradeBatch]) -> QuerySet[TradeBatch]:
    """`batches` with their stored totals and the turnover, (bought + sold) / 2 over the
    accounts' value at analysis (none when that value is unknown or zero)."""
    return batches.select_related(
        "run", "policy", "approved_by", "approval_policy_approved_by").annotate(
        turnover=ExpressionWrapper(
            Cast(F("bought") + F("sold"), FloatField()) / 2
            / Cast(NullIf(F("book_value"), Value(0)), FloatField()),
            output_field=FloatField()))


def batches_sorted(batches: QuerySet[TradeBatch], sort: str) -> tuple[QuerySet[TradeBatch], str]:
    """`batches` in the order of a queue column ("-" first for descending; unknown names fall
    back to the newest run first); empty metrics sort last either way."""
    if sort.removeprefix("-") not in QUEUE_SORTS:
        sort = QUEUE_DEFAULT_SORT
    column = F(QUEUE_SORTS[sort.removeprefix("-")])
    descending = sort.startswith("-")
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return batches.order_by(order, "-pk" if descending else "pk"), sort


def disposition_counts(run: NightlyRun) -> dict[str, int]:
    """The run's accounts per disposition and per oversight list, in one query."""
    cells = {d.value: Count("pk", filter=Q(disposition=d.value)) for d in Disposition}
    cells |= {o.value: Count("pk", filter=Q(oversight_lists__contains=[o.value]))
              for o in OversightList}
    return AccountDisposition.objects.filter(run=run).aggregate(**cells)


def suspended_by_run(run: NightlyRun) -> QuerySet[AccountDisposition]:
    """Accounts the run suspended, each with the policy (and version) or rule that did."""
    return (AccountDisposition.objects.filter(run=run, disposition=Disposition.SUSPEND)
            .select_related("account", "policy").order_by("account__account_number", "pk"))


def active_settings_rules(rules: QuerySet[SettingsRule]) -> QuerySet[SettingsRule]:
    """Active rules in the order they apply, each with its exemptions and last application."""
    last = SettingsChangeSet.objects.filter(rule=OuterRef("pk")).order_by("-applied_at", "-pk")
    exemptions = (SettingsRuleExemption.objects.filter(rule=OuterRef("pk")).order_by()
                  .annotate(n=Func("pk", function="COUNT", output_field=IntegerField()))
                  .values("n"))
    return (rules.filter(is_active=True).order_by("position", "pk").annotate(
        exemption_count=Subquery(exemptions, output_field=IntegerField()),
        last_applied_at=Subquery(last.values("applied_at")[:1]),
        last_accounts_changed=Subquery(last.values("accounts_changed")[:1])))
