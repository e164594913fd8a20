"""The impact preview of a draft change to the model book, across the book, in the background.

`impact_preview_request` queues a preview of a draft allocation or product change; each chunk
(its own task and transaction, so the preview row shows the progress) resolves its accounts'
targets twice — against the live model book and against the book with the draft's content
substituted — and, for the accounts whose target changes, estimates the move to the new
target (`workflow.services.impact_estimate`: the tax-naive rebalance with the highest-basis lots
sold first, not the optimizer) from the chunk's lots, cash and prices loaded in bulk, and
whether its realized gain would exceed the account's annual gain budget. The last chunk
records the totals on the draft (`ModelChange.impact`), which its approval then keeps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, TaxLot
from accounts.selectors import current_cash, current_lot_sets
from accounts.settings_resolution import (
    EffectiveSettings,
    account_rows,
    effective_settings_batch,
)
from accounts.targets import ResolvedTarget, resolve_targets
from accounts.tax.holding_period import long_term_from
from dataops.models import Price
from models_hub.book import AllocationInfo, ModelBook, ProductInfo, VersionInfo
from models_hub.models import ModelChange
from models_hub.services.publishing import model_change_approve, model_change_record_impact
from optimizer.chunk_inputs import _tax_rates
from rebal.chunked_jobs import job_chunk_continue, job_fail
from workflow.models import ImpactPreview, ImpactPreviewAccount
from workflow.services.impact_estimate import EstimateLot, move_estimate

CHUNK = 2000
METHOD = ("Estimated without the optimizer: each affected account is rebalanced tax-naively to "
          "its new target, selling its highest-basis lots first; turnover is the larger of sales "
          "and purchases, the tax is the net short- and long-term gains at the account's rates.")
ZERO = Decimal(0)


def proposed_book(change: ModelChange, book: ModelBook) -> ModelBook:
    """The model book with the draft's content in place of the live structure's."""
    proposed = change.proposed
    if change.kind == ModelChange.Kind.ALLOCATION and change.allocation_id:
        return book.replaced(allocations=[AllocationInfo(
            change.allocation_id, proposed["code"], proposed["name"], proposed["risk_profile"],
            {int(k): Decimal(v) for k, v in proposed["weights"].items()})])
    if change.kind == ModelChange.Kind.PRODUCT and change.product_id:
        live = book.products[change.product_id]
        product = ProductInfo(live.id, proposed["code"], proposed["name"],
                              proposed["asset_class"], proposed["kind"], live.provider_code)
        changed = book.replaced(products=[product])
        if proposed.get("weights"):
            changed.versions[live.id] = VersionInfo(
                0, live.id, book.as_of, tuple(sorted(
                    (int(k), Decimal(v)) for k, v in proposed["weights"].items())))
        return changed
    raise ValidationError("Only a change to an existing allocation or product has an impact "
                          "on accounts to preview.")


def _enqueue(preview: ImpactPreview, offset: int) -> None:
    from workflow import tasks

    firm_id, preview_id = preview.firm_id, preview.pk
    transaction.on_commit(lambda: tasks.impact_preview_chunk_task.delay(
        firm_id=firm_id, preview_id=preview_id, offset=offset))


@transaction.atomic
def impact_preview_request(*, change: ModelChange, acting_user: Any) -> ImpactPreview:
    """Queue the preview of a draft over every account of the firm."""
    if change.status != ModelChange.Status.DRAFT:
        raise ValidationError("Only a draft's impact is previewed.")
    as_of = timezone.localdate()
    proposed_book(change, ModelBook.load(as_of=as_of))  # refuses what cannot be previewed
    preview = ImpactPreview.objects.create(change=change, requested_by=acting_user,
                                           as_of=as_of, method=METHOD,
                                           accounts_total=Account.objects.count())
    _enqueue(preview, 0)
    return preview


def _class_change(before: ResolvedTarget, after: ResolvedTarget) -> str:
    was = {c.asset_class: c.weight for c in before.asset_classes}
    now = {c.asset_class: c.weight for c in after.asset_classes}
    parts = [f"{code} {100 * was.get(code, ZERO):.1f}% → {100 * now.get(code, ZERO):.1f}%"
             for code in sorted(set(was) | set(now)) if was.get(code, ZERO) != now.get(code, ZERO)]
    return "; ".join(parts) or "securities within the asset classes"


def _affected(ids: Sequence[int], preview: ImpactPreview) -> tuple[
        dict[int, tuple[ResolvedTarget, ResolvedTarget]], Mapping[int, EffectiveSettings]]:
    rows = account_rows(list(ids))
    settings = effective_settings_batch(rows)
    live = ModelBook.load(as_of=preview.as_of)
    changed = proposed_book(preview.change, live)
    before = resolve_targets(rows, preview.as_of, settings=settings, book=live,
                             hold_unknown_programs=False)
    after = resolve_targets(rows, preview.as_of, settings=settings, book=changed,
                            hold_unknown_programs=False)
    pairs = {pk: (before[pk], after[pk]) for pk in before
             if before[pk].ok and after[pk].ok and before[pk].weights != after[pk].weights}
    return pairs, settings


def impact_preview_chunk(*, preview_id: int, offset: int, chunk: int = CHUNK) -> int | None:
    """Preview the accounts offset..offset+chunk (by id); the next offset, or None when done."""
    preview = ImpactPreview.objects.select_for_update().select_related("change").get(
        pk=preview_id)
    if preview.status in (ImpactPreview.Status.DONE, ImpactPreview.Status.FAILED):
        return None
    if offset < preview.accounts_done:  # a chunk delivered twice
        return None
    if preview.change.status != ModelChange.Status.DRAFT:
        job_fail(preview, f"The draft was {preview.change.get_status_display().lower()} before "
                       "its preview finished.")
        return None
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True)[offset:offset + chunk])
    pairs, settings = _affected(ids, preview)
    affected = sorted(pairs)
    lot_sets = current_lot_sets(affected, preview.as_of)
    set_accounts = {lot_set.pk: account for account, lot_set in lot_sets.items()}
    lots: dict[int, list[EstimateLot]] = defaultdict(list)
    for set_id, security, quantity, basis, acquired, start in TaxLot.objects.filter(
            lot_set_id__in=list(set_accounts)).values_list(
            "lot_set_id", "security_id", "quantity", "cost_basis", "acquired_date",
            "holding_period_start"):
        lots[set_accounts[set_id]].append(EstimateLot(
            security, quantity, basis, long_term_from(acquired, start)))
    cash = {pk: balance.cash for pk, balance in current_cash(affected, preview.as_of).items()}
    wanted = ({lot.security_id for one in lots.values() for lot in one}
              | {s for pk in affected for s in pairs[pk][1].weights})
    prices = dict(Price.objects.filter(security_id__in=wanted, as_of_date__lte=preview.as_of)
                  .order_by("security_id", "-as_of_date").distinct("security_id")
                  .values_list("security_id", "close"))
    out = []
    for pk in affected:
        before, after = pairs[pk]
        missing = sorted(s for s in {lot.security_id for lot in lots[pk]} | set(after.weights)
                         if s not in prices)
        largest = max(abs(after.weights.get(s, ZERO) - before.weights.get(s, ZERO))
                      for s in set(before.weights) | set(after.weights))
        budget = settings[pk]["annual_gain_budget"]
        if missing:
            out.append(ImpactPreviewAccount(
                firm_id=preview.firm_id, preview=preview, account_id=pk,
                target_change=_class_change(before, after),
                largest_change=largest, value=ZERO, turnover_value=ZERO, realized_gain=ZERO,
                estimated_tax=ZERO, gain_budget=budget,
                note=f"No price for securities {missing}: not estimated."))
            continue
        rates = _tax_rates(settings[pk])
        estimate = move_estimate(
            lots=lots[pk], cash=cash.get(pk, ZERO), prices=prices, target=after.weights,
            as_of=preview.as_of, short_term_rate=Decimal(str(rates.short_term)),
            long_term_rate=Decimal(str(rates.long_term)))
        out.append(ImpactPreviewAccount(
            firm_id=preview.firm_id, preview=preview, account_id=pk,
            target_change=_class_change(before, after),
            largest_change=largest, value=estimate.value, turnover_value=estimate.turnover_value,
            realized_gain=estimate.realized_gain, estimated_tax=estimate.estimated_tax,
            gain_budget=budget,
            breaches_budget=budget is not None and estimate.realized_gain > budget))
    ImpactPreviewAccount.objects.bulk_create(out)
    preview.status = ImpactPreview.Status.RUNNING
    preview.accounts_done = offset + len(ids)
    preview.accounts_affected += len(out)
    preview.accounts_breaching += sum(row.breaches_budget for row in out)
    for field in ("turnover_value", "estimated_tax", "realized_gain"):
        setattr(preview, field, getattr(preview, field) + sum(
            (getattr(row, field) for row in out), ZERO))
    preview.book_value += sum((row.value for row in out), ZERO)
    if len(ids) == chunk:
        preview.save()
        return preview.accounts_done
    _finish(preview)
    return None


def impact_summary(preview: ImpactPreview) -> dict[str, Any]:
    return {"preview": preview.pk, "as_of": preview.as_of.isoformat(), "method": preview.method,
            "accounts_examined": preview.accounts_done,
            "accounts_affected": preview.accounts_affected,
            "accounts_breaching_gain_budget": preview.accounts_breaching,
            "turnover": str(preview.turnover_value), "turnover_percent": preview.turnover_percent,
            "realized_gain": str(preview.realized_gain),
            "estimated_tax": str(preview.estimated_tax)}


def _finish(preview: ImpactPreview) -> None:
    preview.accounts_total = preview.accounts_done
    preview.status, preview.finished_at = ImpactPreview.Status.DONE, timezone.now()
    preview.save()
    model_change_record_impact(change=preview.change, impact=impact_summary(preview),
                               system_job=f"impact preview {preview.pk}")


def impact_preview_continue(*, preview_id: int, offset: int) -> None:
    """One chunk, then the next queued; a chunk that raises marks the preview failed with the
    error, shown on the draft's page."""
    job_chunk_continue(job_model=ImpactPreview, job_id=preview_id, offset=offset,
                       run_chunk=lambda at: impact_preview_chunk(preview_id=preview_id,
                                                                 offset=at),
                       enqueue=_enqueue)


def latest_preview(change: ModelChange) -> ImpactPreview | None:
    return ImpactPreview.objects.filter(change=change).first()


@transaction.atomic
def change_approve_with_impact(*, change: ModelChange, reason: str,
                               acting_user: Any) -> ModelChange:
    """Approve a draft on its finished impact preview (refused without one): the published
    change keeps the preview's result (`ModelChange.impact`, naming the preview)."""
    preview = latest_preview(change)
    if preview is None or preview.status != ImpactPreview.Status.DONE:
        raise ValidationError("The draft's impact preview has not finished: approve it once "
                              "its impact on the book is known.")
    if (change.impact or {}).get("preview") != preview.pk:
        raise ValidationError("The draft's recorded impact is not its latest preview's.")
    return model_change_approve(change=change, reason=reason, acting_user=acting_user)
