"""Long work done in chunks, each chunk a task of its own that queues the next: the job's row
(a rebal.models.background_job.BackgroundJob) says how far it got and, if a chunk raised, why."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from rebal.models.background_job import BackgroundJob

logger = logging.getLogger(__name__)


def job_chunk_continue(*, job_model: type[BackgroundJob], job_id: int, offset: int,
                       run_chunk: Callable[[int], int | None],
                       enqueue: Callable[[Any, int], None]) -> None:
    """Run the chunk at `offset` in its own transaction and queue the one after it (once that
    transaction commits). A chunk that raises marks the job failed with the error; the error is
    logged, not raised again, since the task's own transaction would roll the mark back."""
    try:
        with transaction.atomic():
            following = run_chunk(offset)
            if following is not None:
                enqueue(job_model.objects.get(pk=job_id), following)
    except Exception as error:
        logger.exception("%s %s failed at %s", job_model.__name__, job_id, offset)
        job_fail(job_model.objects.select_for_update().get(pk=job_id),
                 f"{type(error).__name__}: {error}")


def job_fail(job: BackgroundJob, error: str) -> None:
    job.status, job.error = BackgroundJob.Status.FAILED, error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
