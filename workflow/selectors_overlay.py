"""Reads for the overlay manager: batches with their review metrics (summed and sorted in the
database, so a page of the queue costs one query whatever the batches hold), a run's accounts
per disposition and oversight list, and the firm's active settings rules."""

from __future__ import annotations

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
    Sum,
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


def batches_with_metrics(batches: QuerySet[TradeBatch]) -> QuerySet[TradeBatch]:
    """`batches` with, over their trades not dropped: accounts and trades, dollars bought and
    sold (shares as edited × price), the proposed gains realized and tax estimated, and the
    turnover, (bought + sold) / 2 over the accounts' value at analysis. The trades are read
    once (grouped by batch), the analyses once more for their value."""
    live = Q(trades__dropped=False)
    trade_value = ExpressionWrapper(F("trades__shares") * F("trades__price"), output_field=MONEY)
    value = (Analysis.objects.filter(pk__in=BatchTrade.objects.filter(
        batch=OuterRef(OuterRef("pk"))).values("analysis_id")).order_by()
        .annotate(total=Cast(NullIf(_Sum(Cast(KeyTextTransform("value", "before"), MONEY),
                                         output_field=MONEY), ZERO), FloatField()))
        .values("total"))
    return batches.select_related(
        "run", "policy", "approved_by", "approval_policy_approved_by").annotate(
        account_count=Count("trades__account", distinct=True, filter=live),
        trade_count=Count("trades", filter=live),
        bought=Coalesce(Sum(trade_value, filter=live & Q(trades__side="buy")), ZERO),
        sold=Coalesce(Sum(trade_value, filter=live & Q(trades__side="sell")), ZERO),
        realized_gain=Coalesce(Sum("trades__proposed_trade__realized_gain", filter=live), ZERO),
        estimated_tax=Coalesce(Sum("trades__proposed_trade__estimated_tax", filter=live), ZERO),
        # Kept a bare subquery: wrapped in an expression, it would be grouped by, and so run
        # once per trade.
        book_value=Subquery(value, output_field=FloatField()),
    ).annotate(turnover=ExpressionWrapper(
        Cast(F("bought") + F("sold"), FloatField()) / 2 / F("book_value"),
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
