"""The firm gauges dataops contributes to /metrics (see rebal.observability.metrics)."""

from __future__ import annotations

from django.utils import timezone

from dataops.services.monitoring import expected_files
from rebal.observability.metrics import FirmSample


def feed_metrics() -> list[FirmSample]:
    """Per feed: files past their cutoff and not loaded over the last business date, and how
    late the oldest of them is."""
    now = timezone.now()
    samples = []
    for expected in expected_files(days=1, now=now):
        missing = expected.received is None and now > expected.due
        labels = (("feed", expected.feed),)
        samples.append(FirmSample("rebal_feed_files_missing",
                                  "Expected feed files past their cutoff and not loaded",
                                  float(missing), labels))
        samples.append(FirmSample("rebal_feed_lateness_seconds",
                                  "How long past its cutoff a missing feed file is",
                                  (now - expected.due).total_seconds() if missing else 0.0,
                                  labels))
    return samples
