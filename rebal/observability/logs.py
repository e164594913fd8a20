"""Structured JSON logs: every record carries the ids of what it happened in.

A request gets an id (the caller's `X-Request-ID` when it sends a sane one, else a new one,
returned in the response); a Celery task its task id; the firm comes from the firm context; and
any code may add fields for a block with `log_context(run_id=…, stage=…)`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter

_fields: ContextVar[dict[str, Any]] = ContextVar("rebal_log_fields", default={})  # noqa: B039
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` to every log record written inside the block."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


class ContextFilter(logging.Filter):
    """Puts the context's ids on each record (the formatter writes them as JSON keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from rebal.firm_context import current_firm

        for name, value in _fields.get().items():
            setattr(record, name, value)
        firm = current_firm()
        if firm is not None:
            record.firm = firm.code
        return True


class Formatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "asctime": "time",
                                            "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)


class RequestIdMiddleware:
    """Gives each request an id for its log records and returns it as `X-Request-ID`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex
        # Replaced, not reset, at the end: Django logs the response (django.request) after the
        # last middleware returns, and that record belongs to this request too.
        _fields.set({"request_id": request_id})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def connect_celery() -> None:
    """Log records written by a task carry its name and id."""
    from celery.signals import task_postrun, task_prerun

    tokens: dict[str, Any] = {}

    @task_prerun.connect(weak=False)
    def _started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
        tokens[task_id] = _fields.set({**_fields.get(), "task_id": task_id,
                                       "task": getattr(task, "name", "")})

    @task_postrun.connect(weak=False)
    def _finished(task_id: str = "", **kwargs: Any) -> None:
        token = tokens.pop(task_id, None)
        if token is not None:
            _fields.reset(token)
