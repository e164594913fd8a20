"""The Celery app, and the base class that runs a firm's task inside that firm's context."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rebal.settings.base")

app = Celery("rebal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class FirmTask(Task):
    """A task for one firm: `firm_id` is a required keyword; the task runs in that firm's
    context (Python and PostgreSQL) and in one transaction, attributed to the task as a system job.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from rebal.audit import audit_context
        from rebal.firm_context import FirmContextMissing, firm_context
        from rebal.models import Firm

        firm_id = kwargs.get("firm_id")
        if firm_id is None:
            raise FirmContextMissing(f"{self.name} is a firm task and was called without firm_id")
        firm = Firm.objects.get(pk=firm_id, is_active=True)
        with firm_context(firm), audit_context(system_job=self.name):
            return super().__call__(*args, **kwargs)


def firm_task(*args: Any, **options: Any) -> Any:
    """@firm_task: a shared task bound to FirmTask, acknowledged late."""
    options.setdefault("base", FirmTask)
    return app.task(*args, **options)


from rebal.observability import logs as _logs  # noqa: E402
from rebal.observability import metrics as _metrics  # noqa: E402
from rebal.worker_heartbeat import connect as _connect_heartbeat  # noqa: E402

_connect_heartbeat(app)
_logs.connect_celery()
_metrics.connect_celery()
