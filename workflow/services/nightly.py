"""The nightly run's life: started once per firm and business date, advanced stage by stage,
swept for chunks whose worker died, alerted when it misses the firm's deadline.

Every function runs in the caller's firm context and transaction (a task's). Tasks are queued
only after that transaction commits, and each one re-reads the database to decide what is left:
the broker may lose, repeat or delay messages without changing the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from rebal.firm_context import require_firm
from rebal.models import Alert
from rebal.services import alert_raise
from workflow.models import NightlyPolicy, NightlyRun, RunChunk, RunStage, Stage
from workflow.models.nightly import STAGE_ORDER
from workflow.schedule import deadline_for, due_cycle, todays_cycle
from workflow.services import stages
from workflow.services.analyze_stage import (
    analyze_stage_counts,
    analyze_stage_open_chunks,
    analyze_stage_plan,
    failed_accounts_rerun,
    failure_reason,
    outcome_counts,
    run_chunk_analyze,
)

STAGE_FUNCTIONS: dict[str, Callable[[NightlyRun], stages.StageOutcome]] = {
    Stage.FEEDS: stages.feeds_stage,
    Stage.CORPORATE_ACTIONS: stages.corporate_actions_stage,
    Stage.TARGETS: stages.targets_stage,
    Stage.FEES: stages.fees_stage,
    Stage.SORT: stages.sort_stage,
    Stage.NOTIFY: stages.notify_stage,
}
DONE = (RunStage.Status.SUCCEEDED, RunStage.Status.SKIPPED)


def nightly_policy() -> NightlyPolicy:
    """The firm's policy, or the defaults (unsaved) when it has none."""
    return NightlyPolicy.objects.first() or NightlyPolicy(firm=require_firm())


# Set while a run is driven in this process (nightly_run_inline): nothing is queued.
_inline: ContextVar[bool] = ContextVar("workflow_nightly_inline", default=False)


def _enqueue(task_name: str, **kwargs: Any) -> None:
    """Queue a workflow task once the current transaction commits."""
    if _inline.get():
        return
    from workflow import tasks

    task = getattr(tasks, task_name)
    firm_id = require_firm().pk
    transaction.on_commit(lambda: task.delay(firm_id=firm_id, **kwargs))


def nightly_run_start(*, business_date: date, trigger: str) -> tuple[NightlyRun, bool]:
    """The firm's run for `business_date`, created with its stages if there was none (the
    database refuses a second one); True when this call created it."""
    firm = require_firm()
    policy = nightly_policy()
    deadline = deadline_for(business_date=business_date, start=policy.start_time,
                            deadline=policy.deadline_time, zone=ZoneInfo(firm.timezone))
    try:
        with transaction.atomic():
            run = NightlyRun.objects.create(firm=firm, business_date=business_date,
                                            trigger=trigger, deadline=deadline)
    except IntegrityError:
        return NightlyRun.objects.get(business_date=business_date), False
    RunStage.objects.bulk_create([RunStage(firm=firm, run=run, stage=stage, position=position)
                                  for position, stage in enumerate(STAGE_ORDER, start=1)])
    _enqueue("nightly_run_advance_task", run_id=run.pk)
    return run, True


def nightly_run_due_start(*, now: datetime | None = None) -> NightlyRun | None:
    """Start the firm's cycle if it is due now (its start time on a business day, before its
    deadline) and not started yet; returns the run it started."""
    firm = require_firm()
    policy = nightly_policy()
    if not policy.is_active:
        return None
    due = due_cycle(now=now or timezone.now(), start=policy.start_time,
                    deadline=policy.deadline_time, zone=ZoneInfo(firm.timezone))
    if due is None or NightlyRun.objects.filter(business_date=due.business_date).exists():
        return None
    run, created = nightly_run_start(business_date=due.business_date, trigger="schedule")
    return run if created else None


def nightly_run_missing_check(*, now: datetime | None = None) -> bool:
    """Alert once when today's cycle has no run by its deadline (beat or the workers were
    down); True when it alerted. A firm whose cycle is switched off is not alerted."""
    firm = require_firm()
    policy = nightly_policy()
    if not policy.is_active:
        return False
    now = now or timezone.now()
    cycle = todays_cycle(now=now, start=policy.start_time, deadline=policy.deadline_time,
                         zone=ZoneInfo(firm.timezone))
    if cycle is None or now < cycle.deadline or NightlyRun.objects.filter(
            business_date=cycle.business_date).exists():
        return False
    subject = f"Nightly run {cycle.business_date:%Y-%m-%d}"
    if Alert.objects.filter(kind="nightly_run_missing", subject=subject,
                            acknowledged_at__isnull=True).exists():
        return False
    alert_raise(firm=firm, kind="nightly_run_missing", severity="critical", subject=subject,
                message=(f"No nightly run started for {cycle.business_date:%Y-%m-%d} by its "
                         f"deadline {cycle.deadline:%H:%M %Z}; start it with run_nightly once "
                         "the workers are up."),
                roles=["overlay_manager", "management"])
    return True


@dataclass(frozen=True)
class Tick:
    started: NightlyRun | None
    missing_alerted: bool
    sweep: Sweep


def nightly_tick(*, now: datetime | None = None) -> Tick:
    """Beat's work for the firm: start its due run, alert on a missing one, sweep running
    runs."""
    now = now or timezone.now()
    return Tick(nightly_run_due_start(now=now), nightly_run_missing_check(now=now),
                nightly_runs_sweep(now=now))


@dataclass(frozen=True)
class Advance:
    run_id: int
    stage: str  # the stage this call ran or waited on; "" when the run is finished
    state: str  # "ran", "waiting", "finished", "failed", "missing"


def _begin(row: RunStage) -> None:
    row.status = RunStage.Status.RUNNING
    row.started_at = row.started_at or timezone.now()


def _finish_stage(row: RunStage, status: str, counts: dict[str, Any], note: str = "") -> None:
    row.status = status
    row.counts = counts
    row.note = note
    row.finished_at = timezone.now()
    row.save()


def nightly_run_advance(*, run_id: int) -> Advance:
    """Do the next step of the run: run its next stage, plan or close the analyze stage, or
    finish the run. One step per call; the next call is queued after this one commits."""
    # Another worker advancing the run holds this lock; wait for it, then see what it did.
    run = NightlyRun.objects.select_for_update().select_related("firm").filter(pk=run_id).first()
    if run is None:
        return Advance(run_id, "", "missing")
    if run.is_finished:
        return Advance(run_id, "", "finished")
    row = (RunStage.objects.filter(run=run).exclude(status__in=DONE).order_by("position")
           .first())
    if row is None:
        _finish_run(run)
        return Advance(run_id, "", "finished")
    if row.status == RunStage.Status.FAILED:
        _fail_run(run, f"{row.get_stage_display()} failed: {row.note}")
        return Advance(run_id, row.stage, "failed")
    if row.stage == Stage.ANALYZE:
        return _advance_analyze(run, row)
    _begin(row)
    try:
        with transaction.atomic():
            outcome = STAGE_FUNCTIONS[row.stage](run)
    except Exception as error:
        _finish_stage(row, RunStage.Status.FAILED, {}, failure_reason(error))
        _fail_run(run, f"{row.get_stage_display()} failed: {row.note}")
        return Advance(run_id, row.stage, "failed")
    _finish_stage(row, RunStage.Status.SKIPPED if outcome.skipped else RunStage.Status.SUCCEEDED,
                  outcome.counts, outcome.note)
    _enqueue("nightly_run_advance_task", run_id=run.pk)
    return Advance(run_id, row.stage, "ran")


def _advance_analyze(run: NightlyRun, row: RunStage) -> Advance:
    if row.status == RunStage.Status.PENDING:
        _begin(row)
        row.save()
        for chunk in analyze_stage_plan(run=run, chunk_size=nightly_policy().chunk_size):
            _enqueue("run_chunk_analyze_task", chunk_id=chunk.pk)
    if analyze_stage_open_chunks(run):
        return Advance(run.pk, row.stage, "waiting")
    _finish_stage(row, RunStage.Status.SUCCEEDED, analyze_stage_counts(run))
    _enqueue("nightly_run_advance_task", run_id=run.pk)
    return Advance(run.pk, row.stage, "ran")


def _finish_run(run: NightlyRun) -> None:
    failed = outcome_counts(run).get("failed", 0)
    run.status = (NightlyRun.Status.SUCCEEDED_WITH_FAILURES if failed
                  else NightlyRun.Status.SUCCEEDED)
    run.finished_at = timezone.now()
    run.save()
    _alert_if_late(run, run.finished_at)


def _fail_run(run: NightlyRun, error: str) -> None:
    run.status = NightlyRun.Status.FAILED
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    alert_raise(firm=require_firm(), kind="nightly_run_failed", severity="critical",
                subject=f"Nightly run {run.business_date:%Y-%m-%d}", message=error,
                roles=["overlay_manager", "management"])


def _alert_if_late(run: NightlyRun, now: datetime) -> None:
    if run.deadline is None or now <= run.deadline or run.deadline_alerted_at is not None:
        return
    state = "finished" if run.finished_at else "has not finished"
    local_deadline = run.deadline.astimezone(ZoneInfo(run.firm.timezone))
    alert_raise(firm=require_firm(), kind="nightly_run_late", severity="critical",
                subject=f"Nightly run {run.business_date:%Y-%m-%d}",
                message=(f"The nightly run for {run.business_date:%Y-%m-%d} {state} by its "
                         f"deadline {local_deadline:%H:%M %Z}."),
                roles=["overlay_manager", "management"])
    run.deadline_alerted_at = now
    run.save(update_fields=["deadline_alerted_at"])


@dataclass(frozen=True)
class Sweep:
    runs: int
    chunks_requeued: int
    late_alerts: int


def nightly_runs_sweep(*, now: datetime | None = None,
                       stall_after: timedelta | None = None) -> Sweep:
    """For each running run: re-queue chunks queued longer than `stall_after` that no worker is
    on (its worker died, or the broker lost the message), nudge the run on, and alert once when
    it is past its deadline."""
    now = now or timezone.now()
    stall_after = stall_after or timedelta(seconds=settings.REBAL_NIGHTLY_STALL_SECONDS)
    runs = list(NightlyRun.objects.filter(status=NightlyRun.Status.RUNNING)
                .select_related("firm"))
    requeued = late = 0
    for run in runs:
        # Rows a live worker is analyzing are locked by its transaction: skipped here.
        stalled = list(RunChunk.objects.select_for_update(skip_locked=True)
                       .filter(run=run, status=RunChunk.Status.QUEUED,
                               queued_at__lt=now - stall_after))
        for chunk in stalled:
            chunk.queued_at = now
            chunk.times_queued += 1
            chunk.save(update_fields=["queued_at", "times_queued"])
            _enqueue("run_chunk_analyze_task", chunk_id=chunk.pk)
        requeued += len(stalled)
        _enqueue("nightly_run_advance_task", run_id=run.pk)
        if run.deadline and now > run.deadline and run.deadline_alerted_at is None:
            _alert_if_late(run, now)
            late += 1
    return Sweep(len(runs), requeued, late)


def nightly_run_rerun_failed(*, run: NightlyRun, acting_user: Any) -> int:
    """Re-analyze the run's failed accounts; the later stages run again after them. Returns
    how many accounts were queued."""
    run = NightlyRun.objects.select_for_update().get(pk=run.pk)
    chunk = failed_accounts_rerun(run=run, requested_by=str(acting_user))
    if chunk is None:
        return 0
    _enqueue("run_chunk_analyze_task", chunk_id=chunk.pk)
    return len(chunk.account_ids)


def nightly_run_resume(*, run: NightlyRun, reason: str) -> bool:
    """Run a failed run again from its failed stage (once what made it fail is fixed); the
    stages before it are not repeated. False when the run had not failed."""
    run = NightlyRun.objects.select_for_update().get(pk=run.pk)
    if run.status != NightlyRun.Status.FAILED:
        return False
    RunStage.objects.filter(run=run, status=RunStage.Status.FAILED).update(
        status=RunStage.Status.PENDING, note=f"resumed: {reason}", finished_at=None)
    run.status = NightlyRun.Status.RUNNING
    run.error = ""
    run.finished_at = None
    run.save(update_fields=["status", "error", "finished_at"])
    _enqueue("nightly_run_advance_task", run_id=run.pk)
    return True


def nightly_chunk_analyze(*, chunk_id: int) -> bool:
    """Analyze one chunk of a run (see run_chunk_analyze), then move the run on. False when
    another worker holds the chunk."""
    result = run_chunk_analyze(chunk_id=chunk_id)
    if result.busy:
        return False
    run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).get()
    _enqueue("nightly_run_advance_task", run_id=run_id)
    return True


def nightly_run_inline(*, run: NightlyRun, max_steps: int = 1000) -> NightlyRun:
    """Drive a run to its end in this process, without workers or broker (tests, benchmarks):
    the steps the tasks take, in order; nothing is queued."""
    token = _inline.set(True)
    try:
        for _ in range(max_steps):
            advance = nightly_run_advance(run_id=run.pk)
            if advance.state in ("finished", "failed"):
                break
            if advance.state == "waiting":
                for chunk_id in (RunChunk.objects.filter(run=run, status=RunChunk.Status.QUEUED)
                                 .order_by("number").values_list("pk", flat=True)):
                    nightly_chunk_analyze(chunk_id=chunk_id)
    finally:
        _inline.reset(token)
    run.refresh_from_db()
    return run
