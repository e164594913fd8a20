"""The analyze stage: eligible accounts planned into chunks, each chunk analyzed by one task.

The database decides what is done: an account is done in a run exactly when its RunAccount row
exists (UNIQUE run + account), and that row is written in the transaction that stores the
account's analysis. A chunk task delivered twice, or re-queued by the sweeper after its worker
died, analyzes only the accounts without a row, so every eligible account ends the run analyzed
or failed exactly once.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Account, AccountHold
from optimizer.chunk_analysis import AccountOutcome, ChunkTimings, chunk_analyze
from workflow.chunking import AccountLink, plan_chunks
from workflow.models import NightlyRun, RunAccount, RunChunk, RunStage
from workflow.selectors_open_orders import open_orders_by_account
from workflow.services.settings_rules import rules_by_account


def skip_reasons(accounts: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Why each account not eligible for analysis is left out: its open holds, or its status."""
    held: dict[int, list[str]] = defaultdict(list)
    for account_id, kind, reason in (AccountHold.objects
                                     .filter(cleared_at__isnull=True,
                                             account_id__in=[a["pk"] for a in accounts])
                                     .order_by("account_id", "kind", "pk")
                                     .values_list("account_id", "kind", "reason")):
        held[account_id].append(f"{AccountHold.Kind(kind).label} hold: {reason}")
    reasons = {}
    for account in accounts:
        if account["status"] != Account.Status.OPEN:
            reasons[account["pk"]] = f"Account is {Account.Status(account['status']).label}."
        elif account["pk"] in held:
            reasons[account["pk"]] = " ".join(held[account["pk"]])
    return reasons


def analyze_stage_plan(*, run: NightlyRun, chunk_size: int) -> list[RunChunk]:
    """Record the skipped accounts and plan the eligible ones into chunks (once per run)."""
    if RunChunk.objects.filter(run=run).exists():
        return list(RunChunk.objects.filter(run=run, status=RunChunk.Status.QUEUED))
    accounts = list(Account.objects.exclude(status=Account.Status.CLOSED)
                    .values("pk", "household_id", "tax_entity_id", "status").order_by("pk"))
    skipped = skip_reasons(accounts)
    already = set(RunAccount.objects.filter(run=run).values_list("account_id", flat=True))
    RunAccount.objects.bulk_create([
        RunAccount(firm_id=run.firm_id, run=run, account_id=account_id,
                   status=RunAccount.Status.SKIPPED, reason=reason)
        for account_id, reason in sorted(skipped.items()) if account_id not in already])
    links = [AccountLink(a["pk"], a["household_id"], a["tax_entity_id"])
             for a in accounts if a["pk"] not in skipped and a["pk"] not in already]
    now = timezone.now()
    return RunChunk.objects.bulk_create([
        RunChunk(firm_id=run.firm_id, run=run, number=number, account_ids=ids, queued_at=now)
        for number, ids in enumerate(plan_chunks(links, chunk_size), start=1)])


def _analyze(account_ids: Sequence[int], as_of: date,
             timings: ChunkTimings) -> list[AccountOutcome]:
    """Analyze and store the accounts' analyses (with their tax-naive shadows), one outcome
    per account id; in a savepoint, so that a failure of the whole chunk leaves nothing."""
    with transaction.atomic():
        return chunk_analyze(account_ids=account_ids, as_of=as_of, timings=timings,
                             rules=rules_by_account(account_ids, as_of=as_of),
                             open_orders=open_orders_by_account(account_ids, as_of=as_of))


def failure_reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:500] if text else type(error).__name__


@dataclass(frozen=True)
class ChunkResult:
    chunk_id: int
    analyzed: int
    failed: int
    already_done: int
    busy: bool = False


def run_chunk_analyze(*, chunk_id: int) -> ChunkResult:
    """Analyze the chunk's accounts that have no outcome in the run yet, and record each
    outcome; in the caller's transaction (a chunk task's), so the rows and the analyses
    commit together. A chunk another worker is on right now is left to it."""
    chunk = (RunChunk.objects.select_for_update(skip_locked=True, of=("self",))
             .select_related("run").filter(pk=chunk_id).first())
    if chunk is None:
        return ChunkResult(chunk_id, 0, 0, 0, busy=True)
    if chunk.status == RunChunk.Status.DONE:
        return ChunkResult(chunk_id, 0, 0, len(chunk.account_ids))
    started = time.monotonic()
    done = set(RunAccount.objects.filter(run=chunk.run, account_id__in=chunk.account_ids)
               .values_list("account_id", flat=True))
    todo = [pk for pk in chunk.account_ids if pk not in done]
    timings = ChunkTimings()
    try:
        outcomes = _analyze(todo, chunk.run.business_date, timings) if todo else []
    except Exception as error:
        reason = f"The chunk's analysis failed: {failure_reason(error)}"
        outcomes = [AccountOutcome(pk, None, reason) for pk in todo]
    missing = set(todo) - {o.account_id for o in outcomes}
    outcomes += [AccountOutcome(pk, None, "The analysis returned no result for the account.")
                 for pk in sorted(missing)]
    RunAccount.objects.bulk_create([
        RunAccount(firm_id=chunk.firm_id, run=chunk.run, account_id=o.account_id, chunk=chunk,
                   analysis_id=o.analysis_id,
                   status=RunAccount.Status.FAILED if o.failure else RunAccount.Status.ANALYZED,
                   reason=o.failure) for o in outcomes])
    chunk.status = RunChunk.Status.DONE
    chunk.finished_at = timezone.now()
    chunk.seconds = round(time.monotonic() - started, 3)
    chunk.load_seconds = round(timings.load, 3)
    chunk.solve_seconds = round(timings.solve, 3)
    chunk.write_seconds = round(timings.write, 3)
    chunk.save(update_fields=["status", "finished_at", "seconds", "load_seconds",
                              "solve_seconds", "write_seconds"])
    failed = sum(1 for o in outcomes if o.failure)
    return ChunkResult(chunk_id, len(outcomes) - failed, failed, len(done))


def outcome_counts(run: NightlyRun) -> dict[str, int]:
    """The run's accounts by outcome: {"analyzed": n, "failed": n, "skipped": n}."""
    return dict(RunAccount.objects.filter(run=run).order_by().values_list("status")
                .annotate(count=Count("pk")).values_list("status", "count"))


def analyze_stage_counts(run: NightlyRun) -> dict[str, Any]:
    """What the stage did: accounts by outcome, chunks, and the chunks' task time."""
    by_status = outcome_counts(run)
    chunks = list(RunChunk.objects.filter(run=run).values_list(
        "times_queued", "seconds", "load_seconds", "solve_seconds", "write_seconds"))

    def total(column: int) -> float:
        return round(sum(row[column] or 0.0 for row in chunks), 3)

    return {
        "analyzed": by_status.get(RunAccount.Status.ANALYZED, 0),
        "failed": by_status.get(RunAccount.Status.FAILED, 0),
        "skipped": by_status.get(RunAccount.Status.SKIPPED, 0),
        "chunks": len(chunks),
        "requeued": sum(max(row[0] - 1, 0) for row in chunks),
        # Worker seconds, summed over the chunks (the stage's own time is its wall time).
        "chunk_seconds": total(1), "load_seconds": total(2), "solve_seconds": total(3),
        "write_seconds": total(4),
    }


def analyze_stage_open_chunks(run: NightlyRun) -> int:
    return RunChunk.objects.filter(run=run, status=RunChunk.Status.QUEUED).count()


def failed_accounts_rerun(*, run: NightlyRun, requested_by: str) -> RunChunk | None:
    """Put the run's failed accounts in a new chunk: their failed outcomes are removed and the
    chunk re-analyzes them. Returns None when no account failed."""
    failed = list(RunAccount.objects.select_for_update()
                  .filter(run=run, status=RunAccount.Status.FAILED)
                  .order_by("account_id").values_list("account_id", flat=True))
    if not failed:
        return None
    RunAccount.objects.filter(run=run, status=RunAccount.Status.FAILED).delete()
    number = (RunChunk.objects.filter(run=run).order_by("-number")
              .values_list("number", flat=True).first() or 0) + 1
    chunk = RunChunk.objects.create(
        firm_id=run.firm_id, run=run, number=number, account_ids=failed,
        queued_at=timezone.now(), purpose=f"re-run of {len(failed)} failed accounts, "
        f"requested by {requested_by}")
    RunStage.objects.filter(run=run, stage__in=["analyze", "fees", "sort", "notify"]).update(
        status=RunStage.Status.PENDING, finished_at=None)
    RunStage.objects.filter(run=run, stage="analyze").update(status=RunStage.Status.RUNNING)
    NightlyRun.objects.filter(pk=run.pk).update(status=NightlyRun.Status.RUNNING,
                                                finished_at=None)
    return chunk
