"""Firm reports in the background: chunks of accounts show the progress and the finished run
has the whole firm's PDF and CSV (the same figures as the report computed at once); the
monthly schedule asks once for the previous month; the page requests and lists runs."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from accounts.models import Account
from rebal.firm_context import firm_context
from reports.models import ReportRun
from reports.report_runs import (
    monthly_report_request,
    previous_month,
    report_run_chunk,
    report_run_continue,
    report_run_request,
)
from reports.taxes_saved_report import taxes_saved_report
from tests.html_text import texts
from tests.pdf_text import pdf_text
from tests.reports.taxes_saved_book import END, START, taxes_saved_book

pytestmark = pytest.mark.django_db


def test_chunks_show_progress_and_the_run_matches_the_report(alice_firm):
    taxes_saved_book(alice_firm)  # 4 accounts: ALICE-001, ALICE-002, T-1, T-2
    with firm_context(alice_firm.firm):
        run = report_run_request(start=START, end=END, acting_user=alice_firm.compliance)
        assert (run.status, run.accounts_total, run.percent_done) == ("queued", 4, 0)
        assert report_run_chunk(run_id=run.pk, offset=0, chunk=3) == 3
        run.refresh_from_db()
        assert (run.status, run.accounts_done, run.percent_done) == ("running", 3, 75)
        assert report_run_chunk(run_id=run.pk, offset=0, chunk=3) is None  # delivered twice
        assert report_run_chunk(run_id=run.pk, offset=3, chunk=3) is None
        run.refresh_from_db()
        at_once = taxes_saved_report(accounts=Account.objects.all(), start=START, end=END)
    assert (run.status, run.accounts_done, run.percent_done) == ("done", 4, 100)
    table = list(csv.DictReader(io.StringIO(run.csv)))
    assert [r["account_number"] for r in table] == ["ALICE-001", "ALICE-002", "T-1", "T-2"]
    assert table[2]["taxes_saved"] == "3966.00"
    text = pdf_text(bytes(run.pdf))
    assert f"{at_once.firm.saved:,.2f} ({at_once.firm.percent}% of value)" in text
    assert "3,966.00 (0.47% of value)" in text
    assert sum(line.startswith(("ALICE-00", "T-")) for line in text.splitlines()) == 4

    compliance = Client()
    compliance.force_login(alice_firm.compliance)
    listed = texts(compliance.get("/reports/runs/").content.decode(), "report-run")
    assert listed[0].startswith(f"{run.created_at:%Y-%m-%d}") and "done: 4 of 4 accounts" in (
        listed[0])
    assert compliance.get(f"/reports/runs/{run.pk}/pdf/").content == bytes(run.pdf)
    assert compliance.get(f"/reports/runs/{run.pk}/csv/").content.decode() == run.csv
    advisor = Client()
    advisor.force_login(alice_firm.advisor)
    assert advisor.get("/reports/runs/").status_code == 403
    assert advisor.get(f"/reports/runs/{run.pk}/pdf/").status_code == 404


def test_a_chunk_that_fails_marks_the_run_failed_and_says_why(alice_firm):
    taxes_saved_book(alice_firm)
    with firm_context(alice_firm.firm):
        run = report_run_request(start=START, end=END, acting_user=alice_firm.compliance)
        ReportRun.objects.filter(pk=run.pk).update(partial={"csv": 5})  # damaged behind it
    # As the task runs it: in the firm's context, whose transaction an exception would end.
    with firm_context(alice_firm.firm):
        report_run_continue(run_id=run.pk, offset=0)
    with firm_context(alice_firm.firm):
        run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("TypeError: ")
    assert run.finished_at is not None and run.accounts_done == 0


def test_monthly_schedule_asks_once_for_the_previous_month(alice_firm):
    assert previous_month(date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert previous_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    with firm_context(alice_firm.firm):
        run = monthly_report_request(today=date(2026, 12, 1))
        assert (run.start, run.end, run.requested_by) == (date(2026, 11, 1),
                                                          date(2026, 11, 30), None)
        assert monthly_report_request(today=date(2026, 12, 1)) is None
        assert ReportRun.objects.count() == 1


def test_the_page_requests_a_run(alice_firm):
    management = Client()
    management.force_login(alice_firm.admin)
    response = management.post("/reports/runs/", {"start": "2026-10-01", "end": "2026-10-31"})
    assert response.status_code == 302
    listed = texts(management.get("/reports/runs/").content.decode(), "report-run")
    assert "2026-10-01 to 2026-10-31" in listed[0]
    assert "queued: 0 of 2 accounts" in listed[0]
