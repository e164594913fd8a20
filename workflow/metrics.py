"""The firm gauges workflow contributes to /metrics: the latest nightly run's progress."""

from __future__ import annotations

from django.db.models import Count

from rebal.observability.metrics import FirmSample
from workflow.models import NightlyRun, RunAccount, RunChunk


def run_metrics() -> list[FirmSample]:
    run = NightlyRun.objects.order_by("-business_date").first()
    if run is None:
        return []
    day = (("business_date", run.business_date.isoformat()),)
    samples = [FirmSample("rebal_nightly_run_running", "1 while the latest nightly run runs",
                          float(run.status == NightlyRun.Status.RUNNING), day)]
    counts = dict(RunAccount.objects.filter(run=run).values_list("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    for status in RunAccount.Status.values:
        samples.append(FirmSample(
            "rebal_nightly_run_accounts", "Accounts of the latest nightly run by outcome",
            float(counts.get(status, 0)), (*day, ("outcome", status))))
    queued = RunChunk.objects.filter(run=run, status=RunChunk.Status.QUEUED).count()
    samples.append(FirmSample("rebal_nightly_run_chunks_queued",
                              "Chunks of the latest nightly run not yet analyzed",
                              float(queued), day))
    return samples
