"""Reads for the overlay manager: batches with their review metrics (summed and sorted in the
database, so a page of the queue costs one query whatever the batches hold), a run's accounts
per disposition and oversight list, and the firm's active settings rules."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    DecimalField,
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
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, NullIf

from optimizer.models import Analysis
from workflow.models import (
    AccountDisposition,
    BatchTrade,
    Disposition,
    NightlyRun,
    OversightList,
    SettingsChangeSet,
    SettingsRule,
    SettingsRuleExemption,
    TradeBatch,
)

MONEY = DecimalField(max_digits=20, decimal_places=2)
ZERO = Value(0, output_field=MONEY)

# Queue column -> the annotation (or field) it sorts by; ties broken by the batch's number.
QUEUE_SORTS = {"batch": "pk", "run": "run__business_date", "disposition": "disposition",
               "status": "status", "accounts": "account_count", "trades": "trade_count",
               "bought": "bought", "sold": "sold", "turnover": "turnover",
               "gains": "realized_gain", "tax": "estimated_tax"}
QUEUE_DEFAULT_SORT = "-run"


class _Sum(Func):
    """SUM without GROUP BY: the one row of a correlated subquery's aggregate."""

    function = "SUM"


def _live_trades(**condition: Any) -> QuerySet[BatchTrade]:
    return BatchTrade.objects.filter(batch=OuterRef("pk"), dropped=False, **condition).order_by()


def _total(expression: Any, output: Any = MONEY, **condition: Any) -> Any:
    rows = _live_trades(**condition).annotate(total=_Sum(expression, output_field=output))
    return Coalesce(Subquery(rows.values("total"), output_field=output),
                    Value(0, output_field=output))


def batches_with_metrics(batches: QuerySet[TradeBatch]) -> QuerySet[TradeBatch]:
    """`batches` with, over their trades not dropped: accounts and trades, dollars bought and
    sold (shares as edited × price), the proposed gains realized and tax estimated, and the
    turnover, (bought + sold) / 2 over the accounts' value at analysis."""
    accounts = _live_trades().annotate(
        n=Func("account_id", function="COUNT", template="COUNT(DISTINCT %(expressions)s)",
               output_field=IntegerField())).values("n")
    value = (Analysis.objects.filter(pk__in=BatchTrade.objects.filter(
        batch=OuterRef(OuterRef("pk"))).values("analysis_id")).order_by()
        .annotate(total=_Sum(Cast(KeyTextTransform("value", "before"), MONEY),
                             output_field=MONEY)).values("total"))
    trade_value = ExpressionWrapper(F("shares") * F("price"), output_field=MONEY)
    return batches.select_related(
        "run", "policy", "approved_by", "approval_policy_approved_by").annotate(
        account_count=Subquery(accounts, output_field=IntegerField()),
        trade_count=_total(Value(1), IntegerField()),
        bought=_total(trade_value, side="buy"),
        sold=_total(trade_value, side="sell"),
        realized_gain=_total(F("proposed_trade__realized_gain")),
        estimated_tax=_total(F("proposed_trade__estimated_tax")),
        book_value=Subquery(value, output_field=MONEY),
    ).annotate(turnover=ExpressionWrapper(
        Cast(F("bought") + F("sold"), FloatField()) / 2
        / Cast(NullIf(F("book_value"), ZERO), FloatField()), output_field=FloatField()))


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
