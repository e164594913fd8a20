"""Structured logs with request and firm ids, and the Prometheus endpoint."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid

import pytest
from django.test import Client

from rebal.firm_context import firm_context
from rebal.observability.logs import ContextFilter, Formatter, log_context
from tests.workflow.factories import nightly_run_row

pytestmark = pytest.mark.django_db
TOKEN = "metrics-scraper-secret-0123456789"


def _capture(logger_name: str) -> tuple[io.StringIO, logging.Handler]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(Formatter())
    handler.addFilter(ContextFilter())
    logging.getLogger(logger_name).addHandler(handler)
    return buffer, handler


def test_a_request_log_line_is_json_with_the_callers_request_id(client, alice_firm):
    buffer, handler = _capture("django.request")
    sent = f"req-{uuid.uuid4().hex[:12]}"
    try:
        response = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID=sent)
    finally:
        logging.getLogger("django.request").removeHandler(handler)

    assert response.status_code == 404
    assert response["X-Request-ID"] == sent
    line = json.loads(buffer.getvalue().splitlines()[-1])
    assert line["request_id"] == sent
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert "no-such-endpoint" in line["message"]
    # An id the caller makes up badly is replaced by one of ours.
    fresh = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; drop table")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)


def test_records_carry_the_firm_and_the_ids_a_stage_adds(alice_firm):
    buffer, handler = _capture("rebal.test")
    try:
        with firm_context(alice_firm.firm), log_context(run_id=42, stage="analyze"):
            logging.getLogger("rebal.test").warning("chunk %s done", 3)
        logging.getLogger("rebal.test").warning("outside")
    finally:
        logging.getLogger("rebal.test").removeHandler(handler)

    inside, outside = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert (inside["firm"], inside["run_id"], inside["stage"]) == ("ALICE", 42, "analyze")
    assert inside["message"] == "chunk 3 done"
    assert "firm" not in outside and "run_id" not in outside


def test_metrics_need_the_scrapers_token(client, alice_firm, settings):
    settings.REBAL_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    settings.REBAL_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(alice_firm.admin)  # a firm's own admin is no scraper
    assert client.get("/metrics").status_code == 404


def test_metrics_show_requests_queues_and_each_firms_run(alice_firm, bob_firm, settings):
    settings.REBAL_METRICS_TOKEN = TOKEN
    nightly_run_row(alice_firm)
    scraper = Client()
    scraper.get("/healthz")

    response = scraper.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    text = response.content.decode()
    assert re.search(r'^rebal_http_requests_total\{method="GET",status="200"\} [1-9]', text,
                     re.MULTILINE)
    assert re.search(r"^rebal_queue_depth\{queue=\"[^\"]+\"\} \d", text, re.MULTILINE)
    assert re.search(r"^rebal_redis_up 1\.0$", text, re.MULTILINE)
    assert re.search(r'^rebal_nightly_run_accounts\{business_date="[\d-]+",firm="ALICE",'
                     r'outcome="failed"\} 1\.0$', text, re.MULTILINE)
    assert 'firm="BOB",outcome' not in text  # BOB has no run: nothing invented
    assert "ALICE-001" not in text  # counts only, no client data
