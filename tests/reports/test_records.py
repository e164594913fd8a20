"""Records for compliance: the API and pages by account, date, security and client order id,
one record with its trades, orders and events, advisors limited to their accounts, and the
export of a period (CSV and JSON) with a SHA-256 that matches the bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from optimizer.models import Analysis
from rebal.firm_context import firm_context
from tests.reports.isolation_rows import record_row
from tests.workflow.filter_book import AS_OF
from tests.workflow.trade_book import trade_book
from workflow.models import Order, TradeBatch
from workflow.services.batches import batches_create_for_run
from workflow.services.release import batch_release

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def released(alice_firm):
    """The trade book with its auto-trade batch (F-6) released to orders."""
    book = trade_book(alice_firm)
    with firm_context(book.firm):
        batches_create_for_run(run_id=book.run.pk)
        auto = TradeBatch.objects.get(run=book.run, disposition="auto_trade")
        batch_release(batch=auto, acting_user=alice_firm.admin)
        orders = list(Order.objects.filter(batch=auto).select_related("trade").order_by("side"))
        analyses = {number: Analysis.objects.get(account=book.account(number), trade_date=AS_OF)
                    for number in ("F-1", "F-3", "F-6")}
    return book, orders, analyses


def _numbers(response):
    """The accounts of the records listed (the book has older analyses too)."""
    assert response.status_code == 200, response.content
    return sorted({row["account_number"] for row in response.json()["results"]})


def test_records_by_account_security_date_and_client_order_id(released, alice_firm):
    _, orders, _ = released
    compliance = _client(alice_firm.compliance)
    assert _numbers(compliance.get("/api/v1/records/?account=F-1")) == ["F-1"]
    assert _numbers(compliance.get("/api/v1/records/?security=IBM")) == ["F-1", "F-6"]
    assert _numbers(compliance.get("/api/v1/records/?security=ibm&account=F-6")) == ["F-6"]
    day = AS_OF.isoformat()
    assert "F-3" in _numbers(compliance.get(f"/api/v1/records/?from={day}&to={day}"))
    assert _numbers(compliance.get("/api/v1/records/?to=2000-01-01")) == []
    order = orders[0]
    by_order = compliance.get(f"/api/v1/records/?client_order_id={order.client_order_id}")
    assert [row["id"] for row in by_order.json()["results"]] == [order.trade.analysis_id]
    assert _numbers(compliance.get(f"/api/v1/records/?order={order.pk}")) == ["F-6"]
    assert _numbers(compliance.get("/api/v1/records/?client_order_id=NOPE")) == []
    bad = compliance.get("/api/v1/records/?from=yesterday")
    assert bad.status_code == 400


def test_a_record_shows_its_trades_orders_and_events(released, alice_firm):
    _, orders, analyses = released
    record = _client(alice_firm.compliance).get(f"/api/v1/records/{analyses['F-6'].pk}/").json()
    assert record["account_number"] == "F-6" and record["trade_date"] == AS_OF.isoformat()
    trades = {t["ticker"]: t for t in record["trades"]}
    assert trades["AAPL"]["side"] == "sell" and trades["AAPL"]["explanation"] == "sell AAPL"
    assert trades["AAPL"]["reasons"] == ["drift"]
    assert {o["client_order_id"] for t in record["trades"] for o in t["orders"]} == {
        o.client_order_id for o in orders}
    kinds = [e["kind"] for e in record["events"]]
    assert "released" in kinds
    assert {e["order"] for e in record["events"] if e["order"]} <= {
        o.client_order_id for o in orders}
    # F-1 was not released: its record has its trades and no order.
    other = _client(alice_firm.compliance).get(f"/api/v1/records/{analyses['F-1'].pk}/").json()
    assert all(t["orders"] == [] for t in other["trades"])


def test_advisors_see_their_accounts_records_only(released, alice_firm):
    _, _, analyses = released
    own = record_row(alice_firm)  # the advisor's assigned account
    advisor = _client(alice_firm.advisor)
    listed = advisor.get("/api/v1/records/").json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    assert advisor.get(f"/api/v1/records/{analyses['F-1'].pk}/").status_code == 404
    assert advisor.get(f"/records/{analyses['F-1'].pk}/").status_code == 404
    assert advisor.get(f"/records/{own.pk}/").status_code == 200
    assert advisor.get("/api/v1/records/export/").status_code == 403
    assert advisor.get("/records/export/").status_code == 403
    with firm_context(alice_firm.firm):
        every = Analysis.objects.count()
    assert every > 4
    assert _client(alice_firm.admin).get("/api/v1/records/").json()["count"] == every


def _download(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def test_export_json_and_csv_with_their_checksums(released, alice_firm):
    _, orders, analyses = released
    compliance = _client(alice_firm.compliance)
    day = AS_OF.isoformat()
    response = compliance.get(f"/api/v1/records/export/?from={day}&to={day}&file_format=json")
    body = _download(response)
    assert response["X-Checksum-SHA256"] == hashlib.sha256(body).hexdigest()
    document = json.loads(body)
    assert document["export"] == {"firm": "ALICE", "from": day, "to": day,
                                  "format": "Rebal analysis records, one per account analysis"}
    by_account = {r["account_number"]: r for r in document["records"]}
    assert {"F-1", "F-3", "F-6"} <= set(by_account)
    assert by_account["F-6"]["id"] == analyses["F-6"].pk
    assert int(response["X-Record-Count"]) == len(document["records"])
    # The same query gives the same bytes: the checksum can be quoted on its own.
    checksum = compliance.get(
        f"/api/v1/records/export-checksum/?from={day}&to={day}&file_format=json").json()
    assert checksum["sha256"] == response["X-Checksum-SHA256"]
    assert checksum["size"] == len(body) and checksum["records"] == len(document["records"])

    response = compliance.get("/api/v1/records/export/?account=F-6&file_format=csv")
    body = _download(response)
    assert response["X-Checksum-SHA256"] == hashlib.sha256(body).hexdigest()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [(r["side"], r["ticker"], r["shares"]) for r in rows] == [
        ("buy", "IBM", "5.000000"), ("sell", "AAPL", "10.000000")]
    client_ids = {o.client_order_id for o in orders}
    assert {r["client_order_ids"] for r in rows} == client_ids
    assert all("released" in r["events"] for r in rows)
    assert compliance.get("/api/v1/records/export/?file_format=xml").status_code == 400


def test_compliance_pages_filter_show_and_export(released, alice_firm):
    _, orders, analyses = released
    compliance = _client(alice_firm.compliance)
    page = compliance.get("/records/?security=MSFT").content.decode()
    assert f"/records/{analyses['F-1'].pk}/" in page and f"/records/{analyses['F-3'].pk}/" in page
    assert f"/records/{analyses['F-6'].pk}/" not in page
    partial = compliance.get("/records/?account=F-6", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and f"/records/{analyses['F-6'].pk}/" in partial
    detail = compliance.get(f"/records/{analyses['F-6'].pk}/").content.decode()
    assert "sell AAPL" in detail and orders[0].client_order_id in detail
    assert "Released to the OMS" in detail
    query = f"account=F-6&from={AS_OF.isoformat()}&file_format=csv"
    export = compliance.get(f"/records/export/?{query}").content.decode()
    download = _download(compliance.get(f"/records/export/?{query}&download=1"))
    assert b"sell,AAPL" in download
    assert hashlib.sha256(download).hexdigest() in export
    # Reached from the main navigation and from the account's page.
    account = analyses["F-6"].account_id
    assert 'href="/records/"' in compliance.get("/").content.decode()
    assert "/records/?account=F-6" in compliance.get(
        reverse("account-detail", kwargs={"pk": account})).content.decode()
    advisor_page = _client(alice_firm.advisor).get(
        reverse("account-detail", kwargs={"pk": alice_firm.account.pk})).content.decode()
    assert f"/records/?account={alice_firm.account.account_number}" in advisor_page
    assert 'href="/records/"' not in advisor_page  # advisors do not export
