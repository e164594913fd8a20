"""Firm tasks run by a real Celery worker process, and /readyz reading real heartbeats."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client, override_settings

from rebal.firm_context import firm_context
from rebal.models import Alert
from rebal.worker_heartbeat import live_workers
from tests.live import (
    app_environment,
    private_redis,
    start_process,
    stop,
    tail,
    wait_for,
    worker_command,
)

pytestmark = [pytest.mark.worker, pytest.mark.slow]

TIMEOUT = 30


def raise_kwargs(firm, subject: str, message: str = "Drift above tolerance") -> dict:
    return {"firm_id": firm.pk, "kind": "drift", "severity": "warning", "subject": subject,
            "message": message, "roles": ["advisor"]}


def test_worker_raises_the_alert_in_the_tasks_firm_only(celery_worker, worker_firm,
                                                         worker_other_firm, db):
    from rebal.tasks import alert_raise

    subject = f"Account {uuid.uuid4().hex[:8]}"
    result = alert_raise.delay(**raise_kwargs(worker_firm.firm, subject))
    pk = result.get(timeout=TIMEOUT)

    assert isinstance(pk, int)
    assert result.successful()
    with firm_context(worker_firm.firm):
        alert = Alert.objects.get(pk=pk)
        assert (alert.firm_id, alert.subject, alert.kind) == (worker_firm.firm.pk, subject, "drift")
        assert (alert.severity, alert.roles, alert.occurrences) == ("warning", ["advisor"], 1)
        assert alert.acknowledged_at is None
    with firm_context(worker_other_firm.firm):
        assert not Alert.objects.filter(pk=pk).exists()
        assert not Alert.objects.unscoped().filter(subject=subject).exists()


def test_a_firm_task_without_firm_id_fails_in_the_worker(celery_worker, worker_firm, db):
    from rebal.celery import app as celery_app

    subject = f"No firm {uuid.uuid4().hex[:8]}"
    kwargs = raise_kwargs(worker_firm.firm, subject)
    del kwargs["firm_id"]
    # alert_raise.delay() would refuse this in the caller (Celery checks the signature), so send
    # it by name the way a misconfigured producer elsewhere would.
    result = celery_app.send_task("rebal.alert_raise", kwargs=kwargs)

    with pytest.raises(Exception) as failure:
        result.get(timeout=TIMEOUT)

    assert type(failure.value).__name__ == "FirmContextMissing"
    assert "rebal.alert_raise is a firm task and was called without firm_id" in str(failure.value)
    assert result.state == "FAILURE"
    with firm_context(worker_firm.firm):
        assert not Alert.objects.filter(subject=subject).exists()


def test_two_raises_of_one_subject_fold_into_one_alert(celery_worker, worker_firm, db):
    from rebal.tasks import alert_raise

    subject = f"Account {uuid.uuid4().hex[:8]}"
    first = alert_raise.delay(**raise_kwargs(worker_firm.firm, subject, "first")).get(
        timeout=TIMEOUT)
    second = alert_raise.delay(**raise_kwargs(worker_firm.firm, subject, "second")).get(
        timeout=TIMEOUT)

    assert first == second
    with firm_context(worker_firm.firm):
        alerts = list(Alert.objects.filter(subject=subject))
    assert len(alerts) == 1
    assert alerts[0].occurrences == 2
    assert alerts[0].message == "second"
    assert alerts[0].last_raised_at > alerts[0].first_raised_at


def test_readyz_is_ready_while_the_worker_beats(celery_worker, settings, db):
    assert celery_worker.hostname in live_workers(settings.REDIS_URL)

    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "database": "ok", "redis": "ok", "workers": "ok"}}


def test_readyz_is_unavailable_without_a_worker_heartbeat(tmp_path, db):
    with private_redis(tmp_path) as url:
        assert live_workers(url) == []
        with override_settings(REDIS_URL=url):
            response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {
        "database": "ok", "redis": "ok", "workers": "error: no worker heartbeat"}}


def test_a_worker_that_stops_cleanly_withdraws_its_heartbeat(tmp_path, db):
    suffix = uuid.uuid4().hex[:10]
    hostname = f"rebal-stop-{suffix}@localhost"
    log = tmp_path / "celery.log"
    with private_redis(tmp_path) as url:
        env = app_environment(REDIS_URL=url, REBAL_CELERY_QUEUE=f"rebal-stop-{suffix}",
                              REBAL_WORKER_HEARTBEAT_SECONDS="10")
        process = start_process(worker_command(f"rebal-stop-{suffix}", hostname), env=env,
                                log=log)
        try:
            wait_for(lambda: hostname in live_workers(url), timeout=60,
                     what="celery worker heartbeat", process=process, log=log)
        finally:
            stop(process)  # SIGTERM: a warm shutdown, worker_shutdown fires
        assert process.returncode == 0, tail(log)

        assert live_workers(url) == []
