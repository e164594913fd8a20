"""The stages of the nightly cycle other than analyze. Each takes the run, does its work in the
run's firm context, and returns what it did; the caller records it on the stage's row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounts.models import Account
from accounts.services.staleness import holdings_staleness_check
from accounts.targets import resolve_in_chunks
from dataops.models import FeedFile
from dataops.services.corporate_actions import corporate_actions_apply_due
from dataops.services.inbox import inbox_scan
from dataops.services.monitoring import expected_files
from models_hub.models import SecurityModel
from models_hub.services import FollowingValue, fee_accruals_record
from optimizer.models import Analysis
from rebal.firm_context import require_firm
from rebal.services import alert_raise
from workflow.models import NightlyRun, RunAccount
from workflow.services.analyze_stage import outcome_counts
from workflow.services.batches import batches_create_for_run
from workflow.services.dispositions import dispositions_assign
from workflow.services.lot_reconciliation import order_lots_reconcile
from workflow.services.release import batches_auto_release
from workflow.services.settings_rules import rules_by_account

CENT = Decimal("0.01")


@dataclass(frozen=True)
class StageOutcome:
    counts: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    skipped: bool = False


def feeds_stage(run: NightlyRun) -> StageOutcome:
    """Load what is in the firm's inbox now, record what was received for the date, and check
    the new lot snapshots against the lots earlier orders instructed."""
    loaded_now = inbox_scan()
    received = Counter(FeedFile.objects.filter(business_date=run.business_date)
                       .values_list("feed", "status"))
    by_feed: dict[str, dict[str, int]] = {}
    for (feed, status), count in sorted(received.items()):
        by_feed.setdefault(feed or "unknown", {})[status] = count
    missing = sorted(e.feed for e in expected_files(days=1)
                     if e.business_date == run.business_date and e.received is None)
    note = (f"Expected files not loaded for {run.business_date:%Y-%m-%d}: {', '.join(missing)}. "
            "Accounts without current holdings are held as stale." if missing else "")
    reconciled = order_lots_reconcile(business_date=run.business_date)
    return StageOutcome({"files_loaded_by_this_stage": len(loaded_now),
                         "files_for_date": sum(received.values()), "by_feed": by_feed,
                         "expected_missing": missing, **reconciled}, note)


def corporate_actions_stage(run: NightlyRun) -> StageOutcome:
    """Apply the corporate actions due and check the custodian's lots against them; then hold
    accounts whose holdings are stale for the date. Accounts held here are skipped by the
    analyze stage."""
    result = corporate_actions_apply_due(as_of=run.business_date)
    stale = holdings_staleness_check(business_date=run.business_date)
    return StageOutcome({"applied": result.applied, "waiting": result.waiting,
                         "reversed": result.reversed, "accounts_held": result.accounts_held,
                         "accounts_released": result.accounts_released,
                         "accounts_with_stale_holdings": stale},
                        " ".join(result.problems))


def targets_stage(run: NightlyRun) -> StageOutcome:
    """Resolve every open account's effective settings and target; accounts whose program is
    unknown are held (and skipped by the analyze stage)."""
    account_ids = list(Account.objects.filter(status=Account.Status.OPEN)
                       .order_by("pk").values_list("pk", flat=True))
    resolved = with_errors = with_warnings = 0
    errors: Counter[str] = Counter()
    rules = rules_by_account(account_ids, as_of=run.business_date)
    for chunk in resolve_in_chunks(account_ids, run.business_date, rules=rules):
        for item in chunk:
            resolved += 1
            if item.target.errors:
                with_errors += 1
                errors[item.target.errors[0]] += 1
            with_warnings += bool(item.target.warnings)
    return StageOutcome({"accounts": resolved, "targets_with_errors": with_errors,
                         "targets_with_warnings": with_warnings,
                         "top_errors": [[text, n] for text, n in errors.most_common(5)]})


def fees_stage(run: NightlyRun) -> StageOutcome:
    """Accrue the day's model-hub fees on the market values the analyses measured: each
    analyzed account's value, split over the products of its target by asset-class weight."""
    values = dict(Analysis.objects.filter(pk__in=RunAccount.objects.filter(
        run=run, status=RunAccount.Status.ANALYZED).values("analysis_id"))
        .values_list("account_id", "before__value"))
    model_ids = dict(SecurityModel.objects.values_list("code", "pk"))
    following: dict[tuple[int, int], Decimal] = {}
    for chunk in resolve_in_chunks(sorted(values), run.business_date,
                                   rules=rules_by_account(values, as_of=run.business_date),
                                   hold_unknown_programs=False):
        for item in chunk:
            account_value = Decimal(str(values[item.account_id] or 0))
            for asset_class in item.target.asset_classes:
                model_id = model_ids.get(asset_class.product)
                if model_id is not None:
                    key = (model_id, item.account_id)
                    following[key] = following.get(key, Decimal(0)) + (
                        account_value * asset_class.weight).quantize(CENT)
    accruals = fee_accruals_record(
        accrual_date=run.business_date, system_job="nightly fees",
        values=[FollowingValue(model_id, account_id, max(value, Decimal(0)))
                for (model_id, account_id), value in sorted(following.items())])
    return StageOutcome({"accounts_valued": len(values),
                         "account_models": len(following), "accruals": len(accruals),
                         "accrued": str(sum((a.amount for a in accruals), Decimal(0)))})


def sort_stage(run: NightlyRun) -> StageOutcome:
    """Give every account of the run one disposition (suspend, review, auto-trade) and its
    oversight lists, by the firm's policies (workflow.services.dispositions); then batch the
    proposed trades per disposition (workflow.services.batches), and release the auto-trade
    batches when the firm chose automatic release (workflow.services.release)."""
    counts = dispositions_assign(run_id=run.pk, as_of=run.business_date)
    return StageOutcome({**counts, **batches_create_for_run(run_id=run.pk),
                         **batches_auto_release(run_id=run.pk)})


def notify_stage(run: NightlyRun) -> StageOutcome:
    """Alert the overlay managers to accounts that failed; the run's row is the summary."""
    counts = outcome_counts(run)
    failed = counts.get(RunAccount.Status.FAILED, 0)
    if failed:
        alert_raise(firm=require_firm(), kind="accounts_not_analyzed", severity="warning",
                    subject=f"Nightly run {run.business_date:%Y-%m-%d}",
                    message=(f"{failed} eligible account(s) failed analysis; see the run's "
                             "page for the reasons and re-run them there."),
                    roles=["overlay_manager"])
    return StageOutcome({"alerts_raised": 1 if failed else 0, **counts})
