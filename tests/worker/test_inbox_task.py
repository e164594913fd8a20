"""The inbox door through a real Celery worker: the task scans the firm's folder and loads."""

from __future__ import annotations

import pytest

from dataops.models import FeedFile
from dataops.tasks import inbox_scan_task
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.worker


def test_worker_loads_complete_inbox_files_only(celery_worker, worker_firm, db):
    folder = celery_worker.inbox / worker_firm.code
    folder.mkdir(parents=True, exist_ok=True)
    ff.write(folder, "securities_20261124.csv", ff.securities())
    ff.write(folder, "prices_20261124.csv.part", ff.prices("2026-11-24"))
    ids = inbox_scan_task.delay(firm_id=worker_firm.firm.pk).get(timeout=60)
    assert len(ids) == 1
    with firm_context(worker_firm.firm):
        feed_file = FeedFile.objects.get(pk=ids[0])
    assert (feed_file.name, feed_file.status, feed_file.door, feed_file.rows_loaded) == (
        "securities_20261124.csv", "loaded", "inbox", 3)
    assert (folder / "prices_20261124.csv.part").exists()
    assert not (folder / "securities_20261124.csv").exists()
