"""Celery workers announce themselves in Redis every few seconds; /readyz reads that."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import redis
from django.conf import settings

KEY_PREFIX = "rebal:worker-heartbeat:"


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def live_workers(url: str) -> list[str]:
    client = _client(url)
    return sorted(key.decode()[len(KEY_PREFIX):] for key in client.scan_iter(KEY_PREFIX + "*"))


def start_heartbeat(hostname: str) -> tuple[threading.Event, threading.Thread]:
    """Refresh this worker's key until the returned event is set; the thread then withdraws it."""
    interval = settings.REBAL_WORKER_HEARTBEAT_SECONDS
    stop = threading.Event()
    client = _client(settings.REDIS_URL)

    def beat() -> None:
        while not stop.is_set():
            # Redis down: readyz will say so; keep trying.
            with contextlib.suppress(redis.RedisError):
                client.set(KEY_PREFIX + hostname, "1", ex=interval * 3)
            stop.wait(interval)
        client.delete(KEY_PREFIX + hostname)

    thread = threading.Thread(target=beat, name="rebal-heartbeat", daemon=True)
    thread.start()
    return stop, thread


def connect(app: Any) -> None:
    from celery.signals import worker_ready, worker_shutdown

    beats: list[tuple[threading.Event, threading.Thread]] = []

    @worker_ready.connect(weak=False)
    def _ready(sender: Any = None, **kwargs: Any) -> None:
        beats.append(start_heartbeat(sender.hostname))

    @worker_shutdown.connect(weak=False)
    def _shutdown(**kwargs: Any) -> None:
        # Withdraw the key before the process exits, so /readyz stops counting this worker now.
        for stop, _ in beats:
            stop.set()
        for _, thread in beats:
            thread.join(timeout=5)
