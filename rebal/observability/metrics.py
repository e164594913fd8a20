"""Prometheus metrics at /metrics: requests, Celery tasks, queue depth, workers, and each
firm's own gauges (feed lateness, nightly-run progress).

- Requests are counted in the web process (prometheus_client's multiprocess mode when
  `PROMETHEUS_MULTIPROC_DIR` is set, as the launcher does for gunicorn).
- Celery tasks record their runs, failures and seconds in Redis from the worker's signals, so a
  scrape of any web process sees every worker on every host.
- Queue depth and live workers are read from Redis at scrape time.
- Firm gauges come from the callables named in `REBAL_FIRM_METRICS` (each app contributes its
  own, the core never imports them): each is called inside one firm's context at a time, the
  way the platform operator's pages read monitoring rows, and returns `FirmSample`s.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

TASKS_KEY = "rebal:metrics:tasks"

REQUESTS = Counter("rebal_http_requests", "HTTP requests served", ["method", "status"])
REQUEST_SECONDS = Histogram("rebal_http_request_seconds", "Time to serve a request",
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10))


@dataclass(frozen=True)
class FirmSample:
    """One value of a firm gauge: `labels` beside the firm code."""

    name: str
    help: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_SECONDS.observe(time.perf_counter() - started)
        REQUESTS.labels(request.method or "", str(response.status_code)).inc()
        return response


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def connect_celery() -> None:
    """Record each task's outcome and duration in Redis (from the worker's signals)."""
    from celery.signals import task_failure, task_postrun, task_prerun

    started: dict[str, float] = {}

    @task_prerun.connect(weak=False)
    def _started(task_id: str = "", **kwargs: Any) -> None:
        started[task_id] = time.perf_counter()

    @task_postrun.connect(weak=False)
    def _finished(task_id: str = "", task: Any = None, state: str = "", **kwargs: Any) -> None:
        seconds = time.perf_counter() - started.pop(task_id, time.perf_counter())
        name = getattr(task, "name", "unknown")
        with contextlib.suppress(redis.RedisError):  # metrics never fail a task
            pipe = _redis().pipeline()
            pipe.hincrby(TASKS_KEY, f"{name}|runs", 1)
            pipe.hincrbyfloat(TASKS_KEY, f"{name}|seconds", seconds)
            pipe.execute()

    @task_failure.connect(weak=False)
    def _failed(sender: Any = None, **kwargs: Any) -> None:
        with contextlib.suppress(redis.RedisError):
            _redis().hincrby(TASKS_KEY, f"{getattr(sender, 'name', 'unknown')}|failures", 1)


class RebalCollector(Collector):
    """What is read at scrape time: Redis (queues, workers, tasks) and the firms' gauges."""

    def collect(self) -> Iterator[Metric]:
        yield from self._redis_metrics()
        yield from self._firm_metrics()

    def _redis_metrics(self) -> Iterator[Metric]:
        from rebal.worker_heartbeat import live_workers

        up = GaugeMetricFamily("rebal_redis_up", "Redis answers")
        try:
            client = _redis()
            queue = settings.CELERY_TASK_DEFAULT_QUEUE
            depth = GaugeMetricFamily("rebal_queue_depth", "Tasks waiting in a Celery queue",
                                      labels=["queue"])
            depth.add_metric([queue], client.llen(queue))
            workers = GaugeMetricFamily("rebal_workers", "Celery workers with a live heartbeat")
            workers.add_metric([], len(live_workers(settings.REDIS_URL)))
            stats = {(key.decode() if isinstance(key, bytes) else key): float(value)
                     for key, value in client.hgetall(TASKS_KEY).items()}
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, workers)
        runs = CounterMetricFamily("rebal_task_runs", "Celery task runs", labels=["task"])
        failures = CounterMetricFamily("rebal_task_failures", "Celery task failures",
                                       labels=["task"])
        seconds = CounterMetricFamily("rebal_task_seconds", "Seconds spent in Celery tasks",
                                      labels=["task"])
        for key, value in sorted(stats.items()):
            task, _, kind = key.rpartition("|")
            {"runs": runs, "failures": failures, "seconds": seconds}[kind].add_metric(
                [task], value)
        yield from (runs, failures, seconds)

    def _firm_metrics(self) -> Iterator[Metric]:
        from rebal.firm_context import firm_context
        from rebal.models import Firm

        providers = [import_string(path) for path in settings.REBAL_FIRM_METRICS]
        families: dict[str, GaugeMetricFamily] = {}
        for firm in Firm.objects.filter(is_active=True).order_by("code"):
            with firm_context(firm):
                samples: Iterable[FirmSample] = [s for p in providers for s in p()]
                for sample in samples:
                    names = ["firm", *(name for name, _ in sample.labels)]
                    family = families.get(sample.name)
                    if family is None:
                        family = families[sample.name] = GaugeMetricFamily(
                            sample.name, sample.help, labels=names)
                    family.add_metric([firm.code, *(v for _, v in sample.labels)],
                                      sample.value)
        yield from families.values()


def registry() -> CollectorRegistry:
    found = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(found)
    else:  # one process: its own request metrics
        for collector in (REQUESTS, REQUEST_SECONDS):
            found.register(collector)
    found.register(RebalCollector())
    return found


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding `REBAL_METRICS_TOKEN`; 404 for anyone else
    (and for everyone when no token is configured)."""
    expected = settings.REBAL_METRICS_TOKEN
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
