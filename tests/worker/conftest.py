"""A real Celery worker (its own process, the app database role, a queue of its own)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.live import (
    LiveFirm,
    app_environment,
    committed,
    create_live_firm,
    start_process,
    stop,
    wait_for,
    worker_command,
)


@dataclass(frozen=True)
class LiveWorker:
    hostname: str
    queue: str
    inbox: Path  # the worker's REBAL_FEED_INBOX


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory,
                  ) -> Iterator[LiveWorker]:
    """Start `celery worker -P solo` on a unique queue, wait for its heartbeat, stop it after.

    The worker gets the application role's URL and not the owner's, as in production. This
    process sends to the same queue, so no other worker on the shared Redis takes the tasks.
    """
    from rebal.celery import app as celery_app
    from rebal.worker_heartbeat import live_workers

    suffix = uuid.uuid4().hex[:10]
    queue = f"rebal-test-{suffix}"
    hostname = f"rebal-test-{suffix}@localhost"
    log = tmp_path_factory.mktemp("worker") / "celery.log"
    inbox = tmp_path_factory.mktemp("inbox")
    env = app_environment(REBAL_CELERY_QUEUE=queue, REBAL_WORKER_HEARTBEAT_SECONDS="2",
                          REBAL_FEED_INBOX=str(inbox))
    assert "REBAL_OWNER_DATABASE_URL" not in env
    process = start_process(worker_command(queue, hostname), env=env, log=log)
    previous = (settings.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_default_queue)
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.task_default_queue = queue
    try:
        wait_for(lambda: hostname in live_workers(settings.REDIS_URL), timeout=60,
                 what="celery worker heartbeat", process=process, log=log)
        yield LiveWorker(hostname=hostname, queue=queue, inbox=inbox)
    finally:
        settings.CELERY_TASK_DEFAULT_QUEUE, celery_app.conf.task_default_queue = previous
        stop(process)


@pytest.fixture(scope="session")
def worker_firm(django_db_setup: Any, django_db_blocker: Any) -> LiveFirm:
    """A committed firm the worker raises alerts in."""
    with committed(django_db_blocker):
        return create_live_firm("WORKA")


@pytest.fixture(scope="session")
def worker_other_firm(django_db_setup: Any, django_db_blocker: Any) -> LiveFirm:
    """A second committed firm, which must see none of the first one's alerts."""
    with committed(django_db_blocker):
        return create_live_firm("WORKB")
