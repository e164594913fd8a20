"""The model hub: providers, fee schedules, subscriptions; daily accruals and monthly bills.

Accruals are computed on the market values the caller (the nightly cycle's accrual stage)
passes in — (model, account, market value) rows — so models_hub never reads accounts.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from models_hub.fees import annual_fee, daily_accrual
from models_hub.models import (
    BillingStatement,
    FeeAccrual,
    FeeSchedule,
    FeeTier,
    ModelProvider,
    ModelSubscription,
    SecurityModel,
)
from models_hub.services.publishing import _require_reason
from rebal.audit import audit_context
from rebal.firm_context import require_firm

CENT = Decimal("0.01")


@transaction.atomic
def provider_save(*, code: str, name: str, contact_email: str = "", reason: str,
                  acting_user: Any = None, system_job: str = "",
                  provider: ModelProvider | None = None) -> ModelProvider:
    """Create or rename a third-party model provider; models feed rows name it by code."""
    reason = _require_reason(reason)
    code = code.strip()
    if not code:
        raise ValidationError("A provider needs a code (the models feed's provider_code).")
    clash = ModelProvider.objects.filter(code=code)
    if provider is not None:
        clash = clash.exclude(pk=provider.pk)
    if clash.exists():
        raise ValidationError(f"A provider with code {code!r} already exists.")
    with audit_context(user=acting_user, system_job=system_job, reason=reason):
        provider = provider or ModelProvider()
        provider.code, provider.name, provider.contact_email = code, name or code, contact_email
        provider.save()
        for model in SecurityModel.objects.filter(provider_code=code, provider__isnull=True):
            model.provider = provider
            model.save()
    return provider


def _tiers(raw: Sequence[tuple[Any, Any]]) -> list[tuple[Decimal, Decimal]]:
    try:
        tiers = sorted((Decimal(str(start)), Decimal(str(bps))) for start, bps in raw)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError("Each tier is (assets from, annual basis points), both numbers."
                              ) from None
    if not tiers or tiers[0][0] != 0:
        raise ValidationError("The first tier starts at $0 of assets.")
    starts = [start for start, _ in tiers]
    if len(set(starts)) != len(starts):
        raise ValidationError("Two tiers start at the same assets.")
    if any(bps < 0 for _, bps in tiers):
        raise ValidationError("A fee rate cannot be negative.")
    return tiers


@transaction.atomic
def fee_schedule_save(*, provider: ModelProvider, code: str, name: str, method: str,
                      tiers: Sequence[tuple[Any, Any]], reason: str, acting_user: Any,
                      schedule: FeeSchedule | None = None) -> FeeSchedule:
    """Create or replace a fee schedule: annual bps on assets following the provider's models,
    `tiers` = [(assets from, bps)…] starting at 0; `method` marginal or whole."""
    reason = _require_reason(reason)
    if method not in FeeSchedule.Method.values:
        raise ValidationError(f"Unknown method {method!r}; use marginal or whole.")
    parsed = _tiers(tiers)
    if schedule is not None and schedule.subscriptions.filter(accruals__statement__isnull=False
                                                              ).exists():
        # Billed history must stay explainable: a new schedule, not an edited one.
        raise ValidationError("This schedule has been billed; create a new schedule instead.")
    with audit_context(user=acting_user, reason=reason):
        schedule = schedule or FeeSchedule(provider=provider)
        schedule.code, schedule.name, schedule.method = code, name, method
        schedule.save()
        for tier in schedule.tiers.all():
            tier.delete()
        for start, bps in parsed:
            FeeTier.objects.create(schedule=schedule, assets_from=start, annual_bps=bps)
    return schedule


def _overlapping(subscription: ModelSubscription, start: date, end: date | None) -> bool:
    others = ModelSubscription.objects.filter(
        provider_id=subscription.provider_id, status__in=[ModelSubscription.Status.ACTIVE,
                                                          ModelSubscription.Status.TERMINATED],
        start_date__isnull=False).exclude(pk=subscription.pk)
    if end is not None:
        others = others.filter(start_date__lte=end)
    return others.filter(Q(end_date__isnull=True) | Q(end_date__gte=start)).exists()


@transaction.atomic
def subscription_request(*, provider: ModelProvider, requested_on: date, reason: str,
                         acting_user: Any, fee_schedule: FeeSchedule | None = None,
                         note: str = "") -> ModelSubscription:
    """Record a pending subscription to a provider's models."""
    reason = _require_reason(reason)
    if fee_schedule is not None and fee_schedule.provider_id != provider.pk:
        raise ValidationError("The fee schedule belongs to another provider.")
    with audit_context(user=acting_user, reason=reason):
        return ModelSubscription.objects.create(provider=provider, fee_schedule=fee_schedule,
                                                requested_on=requested_on, note=note)


@transaction.atomic
def subscription_activate(*, subscription: ModelSubscription, start_date: date, reason: str,
                          acting_user: Any) -> ModelSubscription:
    """The contract starts: fees accrue from `start_date`."""
    reason = _require_reason(reason)
    if subscription.status != ModelSubscription.Status.PENDING:
        raise ValidationError("Only a pending subscription can be activated.")
    if subscription.fee_schedule_id is None:
        raise ValidationError("Give the subscription a fee schedule before it starts.")
    if start_date < subscription.requested_on:
        raise ValidationError("A subscription cannot start before it was requested.")
    if _overlapping(subscription, start_date, None):
        raise ValidationError("The firm already has a subscription to this provider then.")
    with audit_context(user=acting_user, reason=reason):
        subscription.status = ModelSubscription.Status.ACTIVE
        subscription.start_date = start_date
        subscription.save()
    return subscription


@transaction.atomic
def subscription_terminate(*, subscription: ModelSubscription, end_date: date, reason: str,
                           acting_user: Any) -> ModelSubscription:
    """The contract ends: `end_date` is its last day of service (and of fees)."""
    reason = _require_reason(reason)
    if subscription.status != ModelSubscription.Status.ACTIVE:
        raise ValidationError("Only an active subscription can be terminated.")
    assert subscription.start_date is not None
    if end_date < subscription.start_date:
        raise ValidationError("A subscription cannot end before it started.")
    if subscription.accruals.filter(accrual_date__gt=end_date, statement__isnull=False).exists():
        raise ValidationError("Days after that end date have already been billed.")
    with audit_context(user=acting_user, reason=reason):
        subscription.status = ModelSubscription.Status.TERMINATED
        subscription.end_date = end_date
        subscription.save()
        subscription.accruals.filter(accrual_date__gt=end_date).delete()
    return subscription


# --- accruals and statements -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FollowingValue:
    """An account following a model, and its market value on the accrual date (caller's)."""

    model_id: int
    account_id: int
    market_value: Decimal


def subscriptions_in_force(day: date) -> list[ModelSubscription]:
    return list(ModelSubscription.objects.filter(
        status__in=[ModelSubscription.Status.ACTIVE, ModelSubscription.Status.TERMINATED],
        start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("fee_schedule", "provider").order_by("pk"))


@transaction.atomic
def fee_accruals_record(*, accrual_date: date, values: Iterable[FollowingValue],
                        system_job: str = "", acting_user: Any = None) -> list[FeeAccrual]:
    """Accrue one day's fees under every subscription in force: the provider's fee on the
    total market value following its models. Running a day again replaces its accruals,
    unless they are billed (then it is refused)."""
    firm = require_firm()
    subscriptions = subscriptions_in_force(accrual_date)
    provider_of = dict(SecurityModel.objects.filter(provider__isnull=False).values_list(
        "pk", "provider_id"))
    code_of = dict(SecurityModel.objects.values_list("pk", "code"))
    totals: dict[int, Decimal] = defaultdict(Decimal)
    by_model: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    accounts: dict[int, set[int]] = defaultdict(set)
    for value in values:
        if value.market_value < 0:
            raise ValidationError(f"Account {value.account_id} has a negative market value "
                                  f"({value.market_value}) for model {value.model_id}.")
        provider_id = provider_of.get(value.model_id)
        if provider_id is None:
            continue  # the firm's own model: no provider fee
        totals[provider_id] += value.market_value
        by_model[provider_id][code_of[value.model_id]] += value.market_value
        accounts[provider_id].add(value.account_id)
    existing = {a.subscription_id: a for a in FeeAccrual.objects.filter(
        accrual_date=accrual_date, subscription__in=subscriptions)}
    billed = [a for a in existing.values() if a.statement_id is not None]
    if billed:
        raise ValidationError(f"Fees for {accrual_date} are already on a billing statement.")
    FeeAccrual.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
    made = []
    for subscription in subscriptions:
        schedule = subscription.fee_schedule
        if schedule is None:
            continue
        tiers = list(schedule.tiers.values_list("assets_from", "annual_bps"))
        market_value = totals.get(subscription.provider_id, Decimal(0)).quantize(CENT)
        yearly = annual_fee(market_value, tiers, schedule.method)
        made.append(FeeAccrual(
            firm=firm, subscription=subscription, accrual_date=accrual_date,
            market_value=market_value, account_count=len(accounts[subscription.provider_id]),
            by_model={code: str(mv.quantize(CENT)) for code, mv in
                      sorted(by_model[subscription.provider_id].items())},
            annual_fee=yearly.quantize(Decimal("0.000001")),
            amount=daily_accrual(yearly, accrual_date)))
    return FeeAccrual.objects.bulk_create(made)


@transaction.atomic
def billing_statement_issue(*, provider: ModelProvider, year: int, month: int,
                            acting_user: Any = None, system_job: str = "") -> BillingStatement:
    """The provider's bill for a calendar month: the sum of the month's accruals, which are
    then marked billed (and can no longer be replaced)."""
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    if BillingStatement.objects.filter(provider=provider, period_start=start).exists():
        raise ValidationError(f"{provider.code} has already been billed for {start:%B %Y}.")
    accruals = FeeAccrual.objects.select_for_update().filter(
        subscription__provider=provider, accrual_date__range=(start, end),
        statement__isnull=True)
    rows = list(accruals)
    if not rows:
        raise ValidationError(f"No fees accrued for {provider.code} in {start:%B %Y}.")
    statement = BillingStatement.objects.create(
        provider=provider, period_start=start, period_end=end,
        total=sum((row.amount for row in rows), Decimal(0)),
        accrual_days=len({row.accrual_date for row in rows}),
        issued_by=acting_user if getattr(acting_user, "pk", None) else None,
        issued_by_job=system_job)
    FeeAccrual.objects.filter(pk__in=[row.pk for row in rows]).update(statement=statement)
    return statement
