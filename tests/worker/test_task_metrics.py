"""Celery task runs and failures recorded by a real worker reach /metrics."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from django.test import Client

pytestmark = [pytest.mark.worker, pytest.mark.slow]
TOKEN = "metrics-scraper-secret-0123456789"


def test_worker_task_runs_and_failures_reach_the_metrics(celery_worker, worker_firm, settings,
                                                         db):
    from rebal.celery import app as celery_app
    from rebal.tasks import alert_raise

    settings.REBAL_METRICS_TOKEN = TOKEN
    scraper = Client()

    def count(kind: str) -> float:
        text = scraper.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
        found = re.search(rf'^rebal_task_{kind}_total\{{task="rebal.alert_raise"\}} (\S+)$',
                          text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    def reaches(kind: str, at_least: float) -> float:
        """The count once it gets there (or after 10 s): the worker counts a run when the task
        has returned, after its result reached the caller."""
        deadline = time.monotonic() + 10
        while (value := count(kind)) < at_least and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    runs, failures = count("runs"), count("failures")
    alert_raise.delay(firm_id=worker_firm.firm.pk, kind="drift", severity="warning",
                      subject=f"m-{uuid.uuid4().hex[:6]}", message="m",
                      roles=["advisor"]).get(timeout=30)
    with pytest.raises(Exception):  # noqa: B017 - any failure will do
        celery_app.send_task("rebal.alert_raise", kwargs={"kind": "x"}).get(timeout=30)

    assert reaches("runs", runs + 2) >= runs + 2
    assert reaches("failures", failures + 1) >= failures + 1
