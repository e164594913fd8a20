"""Large records exports in the background: chunks of records show the progress, and the
finished file is byte for byte the immediate export of the same records, with its SHA-256
stored; the page offers the background export above the threshold and lists the exports with
their progress; the API queues one, reports its progress and serves its file; a chunk that
raises marks the export failed. (The chunks through a real Celery worker:
tests/worker/test_record_export_task.py.)"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from optimizer.models import Analysis
from rebal.firm_context import firm_context
from reports import record_exports, views
from reports.api import views as api_views
from reports.exports import records_export
from reports.models import RecordExport, RecordExportPart
from reports.record_exports import (
    record_export_chunk,
    record_export_continue,
    record_export_request,
)
from tests.html_text import texts
from tests.reports.test_records import released  # noqa: F401  (the fixture)
from tests.workflow.filter_book import AS_OF

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _request(alice_firm, file_format, *, chunk):
    return record_export_request(records=Analysis.objects.all(), query={}, start=None,
                                 end=None, file_format=file_format,
                                 acting_user=alice_firm.compliance, chunk=chunk)


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_chunks_show_progress_and_the_file_is_the_immediate_export(released, alice_firm,  # noqa: F811
                                                                   file_format):
    with firm_context(alice_firm.firm):
        total = Analysis.objects.count()
        assert total > 4
        export = _request(alice_firm, file_format, chunk=2)
        assert (export.status, export.records_total, export.percent_done) == ("queued", total, 0)
        assert record_export_chunk(export_id=export.pk, offset=0) == 2
        export.refresh_from_db()
        assert (export.status, export.records_done) == ("running", 2)
        assert export.percent_done == 200 // total
        assert record_export_chunk(export_id=export.pk, offset=0) is None  # delivered twice
        offset = 2
        while offset is not None:
            offset = record_export_chunk(export_id=export.pk, offset=offset)
        export.refresh_from_db()
        immediate = records_export(records=Analysis.objects.all(), firm_code="ALICE",
                                   start=None, end=None, file_format=file_format)
        assert RecordExportPart.objects.count() == 0  # joined into the file
    assert (export.status, export.records_done, export.percent_done) == ("done", total, 100)
    content = bytes(export.file)
    assert content == immediate.file.read()
    assert export.sha256 == immediate.sha256 == hashlib.sha256(content).hexdigest()
    assert export.size == len(content) and export.filename == immediate.filename
    if file_format == "json":
        assert len(json.loads(content)["records"]) == total


def test_records_appended_after_the_request_are_left_out(released, alice_firm):  # noqa: F811
    with firm_context(alice_firm.firm):
        export = _request(alice_firm, "json", chunk=1000)
        newest = Analysis.objects.latest("pk")
        newest.pk = None  # a record written by tonight's run, while the export waits
        newest.save()
        assert record_export_chunk(export_id=export.pk, offset=0) is None
        export.refresh_from_db()
    ids = [r["id"] for r in json.loads(bytes(export.file))["records"]]
    assert newest.pk not in ids and len(ids) == export.records_total


def test_a_chunk_that_raises_marks_the_export_failed(released, alice_firm, monkeypatch):  # noqa: F811
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(record_exports, "csv_part", broken)
    with firm_context(alice_firm.firm):
        export = _request(alice_firm, "csv", chunk=2)
        record_export_continue(export_id=export.pk, offset=0)
        export.refresh_from_db()
    assert (export.status, export.error) == ("failed", "RuntimeError: disk full")
    listed = texts(_client(alice_firm.compliance).get("/records/export/runs/").content.decode(),
                   "record-export")
    assert "failed: 0 of" in listed[0] and "disk full" in listed[0]


def test_the_page_offers_the_background_export_above_the_threshold(released, alice_firm,  # noqa: F811
                                                                   monkeypatch):
    monkeypatch.setattr(views, "IMMEDIATE_RECORDS", 2)
    compliance = _client(alice_firm.compliance)
    day = AS_OF.isoformat()
    page = compliance.get(f"/records/export/?from={day}&file_format=csv").content.decode()
    with firm_context(alice_firm.firm):
        count = Analysis.objects.filter(trade_date__gte=AS_OF).count()
    assert count > 2
    assert f"{count} records: exported in the background" in page
    assert "Download" not in page
    response = compliance.post("/records/export/", {"from": day, "file_format": "csv"})
    assert response.status_code == 302
    with firm_context(alice_firm.firm):
        export = RecordExport.objects.get()
        assert (export.query, export.records_total, export.requested_by) == (
            {"from": day}, count, alice_firm.compliance)
    listed = texts(compliance.get("/records/export/").content.decode(), "record-export")
    assert f"queued: 0 of {count} records" in listed[0]
    rows = compliance.get("/records/export/runs/").content.decode()
    assert 'hx-trigger="every 2s"' in rows  # polled while it runs
    with firm_context(alice_firm.firm):
        record_export_chunk(export_id=export.pk, offset=0)
        export.refresh_from_db()
        immediate = records_export(records=Analysis.objects.filter(trade_date__gte=AS_OF),
                                   firm_code="ALICE", start=AS_OF, end=None, file_format="csv")
    rows = compliance.get("/records/export/runs/").content.decode()
    assert "every 2s" not in rows and export.sha256 in rows and f"done: {count} of" in rows
    download = compliance.get(f"/records/export/runs/{export.pk}/download/")
    assert download.content == immediate.file.read()
    assert download["X-Checksum-SHA256"] == export.sha256 == immediate.sha256
    # a small export stays immediate
    small = compliance.get(f"/records/export/?account=F-6&from={day}&file_format=csv")
    assert "Download" in small.content.decode()
    # advisors export nothing, and see no export
    advisor = _client(alice_firm.advisor)
    assert advisor.get("/records/export/runs/").status_code == 403
    assert advisor.get(f"/records/export/runs/{export.pk}/download/").status_code == 404


def test_the_api_queues_follows_and_downloads(released, alice_firm, monkeypatch):  # noqa: F811
    monkeypatch.setattr(api_views, "IMMEDIATE_RECORDS", 2)
    compliance = _client(alice_firm.compliance)
    refused = compliance.get("/api/v1/records/export/?file_format=json")
    assert refused.status_code == 400
    assert "/api/v1/record-exports/" in refused.content.decode()
    assert compliance.get("/api/v1/records/export/?account=F-6&file_format=json"
                          ).status_code == 200
    queued = compliance.post("/api/v1/record-exports/?file_format=json&account=F-6")
    assert queued.status_code == 202, queued.content
    body = queued.json()
    assert (body["status"], body["query"], body["download"]) == ("queued", {"account": "F-6"},
                                                                 None)
    assert compliance.get(f"/api/v1/record-exports/{body['id']}/download/").status_code == 404
    with firm_context(alice_firm.firm):
        record_export_chunk(export_id=body["id"], offset=0)
    done = compliance.get(f"/api/v1/record-exports/{body['id']}/").json()
    assert done["status"] == "done" and done["percent_done"] == 100
    file = compliance.get(done["download"])
    assert hashlib.sha256(file.content).hexdigest() == done["sha256"] == file[
        "X-Checksum-SHA256"]
    assert {r["account_number"] for r in json.loads(file.content)["records"]} == {"F-6"}
    assert [e["id"] for e in compliance.get("/api/v1/record-exports/").json()["results"]] == [
        body["id"]]
    advisor = _client(alice_firm.advisor)
    assert advisor.post("/api/v1/record-exports/?file_format=json").status_code == 403
