"""Reads of the workflow room: a run's progress, failures by reason, accounts not analyzed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Greatest

from workflow.models import NightlyRun, RunAccount, RunChunk, RunStage


@dataclass(frozen=True)
class RunProgress:
    run: NightlyRun
    stages: list[RunStage]
    outcomes: dict[str, int]  # analyzed / failed / skipped
    chunks_total: int
    chunks_done: int
    requeued: int

    @property
    def percent_done(self) -> int:
        if not self.chunks_total:
            return 100 if self.run.is_finished else 0
        return round(100 * self.chunks_done / self.chunks_total)


def run_progress(run: NightlyRun) -> RunProgress:
    return runs_progress([run])[0]


def runs_progress(runs: list[NightlyRun]) -> list[RunProgress]:
    """Each run's progress, in the order given: four grouped queries however many runs."""
    ids = [run.pk for run in runs]
    chunks: dict[int, dict[str, int]] = {pk: {"total": 0, "done": 0, "requeued": 0} for pk in ids}
    for run_id, total, done, requeued in (
            RunChunk.objects.filter(run_id__in=ids).order_by().values_list("run_id")
            .annotate(total=Count("pk"), done=Count("pk", filter=Q(status=RunChunk.Status.DONE)),
                      requeued=Sum(Greatest(F("times_queued") - 1, 0)))
            .values_list("run_id", "total", "done", "requeued")):
        chunks[run_id] = {"total": total, "done": done, "requeued": requeued or 0}
    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    for run_id, status, n in (RunAccount.objects.filter(run_id__in=ids).order_by()
                              .values_list("run_id", "status").annotate(n=Count("pk"))
                              .values_list("run_id", "status", "n")):
        outcomes[run_id][status] = n
    stages: dict[int, list[RunStage]] = defaultdict(list)
    for stage in RunStage.objects.filter(run_id__in=ids).order_by("run_id", "position"):
        stages[stage.run_id].append(stage)
    return [RunProgress(run, stages[run.pk], outcomes[run.pk], chunks[run.pk]["total"],
                        chunks[run.pk]["done"], chunks[run.pk]["requeued"]) for run in runs]


def failures_by_reason(run: NightlyRun, status: str = RunAccount.Status.FAILED,
                       ) -> list[tuple[str, int]]:
    """The run's accounts with `status` (failed or skipped), counted by reason, most first."""
    return list(RunAccount.objects.filter(run=run, status=status).order_by()
                .values_list("reason").annotate(n=Count("pk")).order_by("-n", "reason")
                .values_list("reason", "n"))


def accounts_not_analyzed(run: NightlyRun, limit: int = 500) -> list[RunAccount]:
    """Failed accounts first, then skipped ones, each with why."""
    return list(RunAccount.objects.filter(run=run).exclude(status=RunAccount.Status.ANALYZED)
                .select_related("account").order_by("status", "account__account_number")
                [:limit])


def stage_summary(progress: RunProgress) -> list[str]:
    """The run in plain text lines, as the command prints it."""
    run = progress.run
    lines = [f"Nightly run {run.business_date:%Y-%m-%d} ({run.firm.code}): "
             f"{run.get_status_display()}"]
    for stage in progress.stages:
        took = f"{stage.duration_seconds:.1f}s" if stage.duration_seconds is not None else "-"
        counts = ", ".join(f"{key} {value}" for key, value in stage.counts.items()
                           if not isinstance(value, (dict, list)))
        note = f" — {stage.note}" if stage.note else ""
        lines.append(f"  {stage.get_stage_display():40} {stage.get_status_display():10} "
                     f"{took:>8}  {counts}{note}")
    lines.append("  accounts: " + ", ".join(
        f"{status} {progress.outcomes.get(status, 0)}" for status in RunAccount.Status.values)
        + f"; chunks {progress.chunks_done}/{progress.chunks_total}"
        + (f" ({progress.requeued} re-queued)" if progress.requeued else ""))
    if run.error:
        lines.append(f"  error: {run.error}")
    return lines
