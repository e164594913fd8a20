"""The data-operations API: feed upload and files, quarantined rows, unknown securities, holds."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Account, AccountHold
from accounts.selectors import holdings
from dataops.models import AssetClass, FeedFile, Security, UnknownSecurity
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Scope
from tests import data_factories as df
from tests import feed_files as ff
from tests.dataops.conftest import token_client

pytestmark = pytest.mark.django_db
BAD_CUSIP = "123456780"  # check digit should be 2
# 5 good rows and 1 bad (line 6): under the default limit of 20% bad rows.
SECURITIES_WITH_A_BAD_ROW = ff.securities([
    [ff.AMZN, "AMZN", "Amazon.com Inc.", "equity", "EQ.US.LARGE", "Consumer Discretionary", ""],
    [BAD_CUSIP, "BADX", "Bad Check Digit Corp.", "equity", "EQ.US.LARGE", "Energy", ""],
    ["", "VOO", "Vanguard S&P 500 ETF", "etf", "EQ.US.LARGE", "", ""]])


def upload(client: Client, name: str, data: bytes):
    return client.post("/api/v1/feeds/", {"file": SimpleUploadedFile(name, data)})


def test_a_feeds_token_uploads_a_file_and_gets_its_outcome(alice_firm, feeds_token):
    client, token = feeds_token

    response = upload(client, "securities_20261124.csv", SECURITIES_WITH_A_BAD_ROW)

    assert response.status_code == 201, response.content
    body = response.json()
    assert {key: body[key] for key in ("name", "feed", "business_date", "seq", "status",
                                       "rows_read", "rows_loaded", "rows_quarantined", "door",
                                       "delivered_by")} == {
        "name": "securities_20261124.csv", "feed": "securities", "business_date": "2026-11-24",
        "seq": 0, "status": "loaded_with_errors", "rows_read": 6, "rows_loaded": 5,
        "rows_quarantined": 1, "door": "api", "delivered_by": "custodian-sftp-bridge"}
    assert body["checksum"] == hashlib.sha256(SECURITIES_WITH_A_BAD_ROW).hexdigest()
    assert body["error"] == ""
    assert isinstance(body["duration"], float) and 0 <= body["duration"] < 60
    assert client.get(f"/api/v1/feeds/{body['id']}/").json() == body
    with firm_context(alice_firm.firm):
        # The good rows are in the master, written as the token, with the file as the reason.
        assert sorted(Security.objects.values_list("ticker", flat=True)) == [
            "AAPL", "AMZN", "MSFT", "VOO", "XOM"]
        apple = Security.history.get(ticker="AAPL")
        assert apple.history_api_token_id == token.pk
        assert apple.history_change_reason == "file securities_20261124.csv"


def test_quarantined_rows_list_line_column_and_reason(alice_firm, feeds_token):
    client, _ = feeds_token
    file_id = upload(client, "securities_20261124.csv", SECURITIES_WITH_A_BAD_ROW).json()["id"]

    response = client.get(f"/api/v1/feeds/{file_id}/quarantined-rows/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    [row] = response.json()["results"]
    assert (row["line_number"], row["column"], row["reason"], row["account_number"]) == (
        6, "cusip", f"CUSIP {BAD_CUSIP} check digit should be 2", "")
    assert row["raw"]["ticker"] == "BADX" and row["raw"]["cusip"] == BAD_CUSIP


def test_accounts_and_cash_uploaded_over_the_api_are_the_accounts_holdings(alice_firm,
                                                                          feeds_token):
    client, _ = feeds_token
    assert upload(client, "accounts_20261124.csv", ff.accounts()).json()["rows_loaded"] == 3
    cash = upload(client, "cash_20261124.csv", ff.cash()).json()
    assert (cash["status"], cash["rows_loaded"]) == ("loaded", 3)
    with firm_context(alice_firm.firm):
        smith = Account.objects.get(account_number="A-1")
        assert holdings(smith.pk, date(2026, 11, 24)).cash == Decimal("2500.00")


def test_a_rejected_file_is_recorded_and_answered_201_with_the_reason(alice_firm, feeds_token):
    client, _ = feeds_token

    unknown_feed = upload(client, "holdings_20261124.csv", ff.cash())
    no_quantity = upload(client, "tax_lots_20261124.csv", b"account_number,cusip,lot_id\nA-1,x,1\n")

    assert unknown_feed.status_code == 201
    assert unknown_feed.json()["status"] == "rejected"
    assert "names no known feed" in unknown_feed.json()["error"]
    assert no_quantity.status_code == 201
    body = no_quantity.json()
    assert (body["status"], body["rows_loaded"], body["feed"]) == ("rejected", 0, "tax_lots")
    assert "missing required column" in body["error"] and "quantity" in body["error"]
    with firm_context(alice_firm.firm):
        assert FeedFile.objects.filter(status="rejected").count() == 2


def test_the_same_file_twice_is_a_duplicate(feeds_token):
    client, _ = feeds_token
    first = upload(client, "cash_20261124.csv", ff.cash()).json()
    again = upload(client, "cash_20261124_1.csv", ff.cash()).json()
    assert (again["status"], again["duplicate_of"], again["rows_loaded"]) == (
        "duplicate", first["id"], 0)


def test_upload_without_a_file_is_a_400_in_the_standard_error_body(feeds_token):
    client, _ = feeds_token
    response = client.post("/api/v1/feeds/", {})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert error["fields"]["file"] == ["No file was submitted."]


def test_a_token_without_feeds_write_may_neither_upload_nor_list(alice_firm):
    client, _ = token_client(alice_firm, "reader", [Scope.ACCOUNTS_READ, Scope.ALERTS_READ])

    response = upload(client, "cash_20261124.csv", ff.cash())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/feeds/").status_code == 403
    assert client.get("/api/v1/unknown-securities/").status_code == 403
    with firm_context(alice_firm.firm):
        assert not FeedFile.objects.exists()


@pytest.fixture
def files(alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        lots = df.feed_file(name="tax_lots_20261123.csv", status=FeedFile.Status.LOADED_WITH_ERRORS,
                            rows_read=3, rows_loaded=2, rows_quarantined=1)
        prices = df.feed_file(name="prices_20261124.csv", rows_read=500, rows_loaded=500)
        rejected = df.feed_file(name="tax_lots_20261124.csv", status=FeedFile.Status.REJECTED,
                                error="missing required column quantity")
    return lots, prices, rejected


@pytest.mark.parametrize(("query", "expected"), [
    ("", [2, 1, 0]),
    ("?feed=tax_lots", [2, 0]),
    ("?status=rejected", [2]),
    ("?business_date=2026-11-24", [2, 1]),
    ("?feed=tax_lots&status=loaded_with_errors", [0]),
])
def test_files_filter_by_feed_status_and_date(files, alice_firm, query, expected):
    client = Client()
    client.force_login(alice_firm.overlay_manager)  # feed.view without feed.upload
    response = client.get(f"/api/v1/feeds/{query}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [files[i].pk for i in expected]


@pytest.fixture
def queue(alice_firm):
    """AMZN unknown, held by account 001 (on hold because of it); an asset class to add it to."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        file = df.feed_file(name="tax_lots_20261124.csv")
        entry = df.unknown_security(file=file, cusip=ff.AMZN, ticker="AMZN")
        df.snapshot(alice_firm.account, file=file, lots=[
            df.Lot(entry.placeholder, "3", "540.00", date(2024, 1, 2))])
        hold = df.hold(alice_firm.account, reason="holds a security not in the security master",
                       source=f"unknown_security:{entry.placeholder_id}")
        other = df.hold(alice_firm.other_account, reason="tax_lots_20261124.csv: line 4: bad",
                        source="feed:tax_lots")
        AssetClass.objects.create(code="EQ.US.LARGE", name="US Large Cap")
        apple = df.security(ticker="AAPL", cusip=ff.AAPL, name="Apple Inc.")
    return entry, hold, other, apple


def test_unknown_securities_list_and_detail(queue, feeds_token):
    entry = queue[0]
    client, _ = feeds_token
    listed = client.get("/api/v1/unknown-securities/?status=open").json()["results"]
    assert [(row["id"], row["cusip"], row["ticker"], row["status"], row["first_seen_file_name"])
            for row in listed] == [(entry.pk, ff.AMZN, "AMZN", "open", "tax_lots_20261124.csv")]
    detail = client.get(f"/api/v1/unknown-securities/{entry.pk}/").json()
    assert detail["placeholder"] == entry.placeholder_id and detail["resolved_to"] is None


def test_a_data_manager_adds_an_unknown_security_over_the_api(queue, alice_firm, data_client,
                                                              data_manager):
    entry, hold, other, _ = queue

    response = data_client.post(
        f"/api/v1/unknown-securities/{entry.pk}/add/",
        {"name": "Amazon.com Inc.", "security_type": "equity", "asset_class": "EQ.US.LARGE",
         "sector": "Consumer Discretionary", "reason": "new holding at the custodian"},
        content_type="application/json")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["resolved_by"]) == (
        "resolved", "data@alice.test")
    with firm_context(alice_firm.firm):
        security = Security.objects.get(pk=entry.placeholder_id)
        assert (security.name, security.status, security.asset_class.code, security.sector) == (
            "Amazon.com Inc.", "active", "EQ.US.LARGE", "Consumer Discretionary")
        hold.refresh_from_db()
        assert hold.cleared_at is not None
        assert AccountHold.objects.get(pk=other.pk).cleared_at is None
    again = data_client.post(f"/api/v1/unknown-securities/{entry.pk}/add/",
                             {"name": "x", "security_type": "equity",
                              "asset_class": "EQ.US.LARGE", "reason": "again"},
                             content_type="application/json")
    assert again.status_code == 400
    assert "already been resolved" in again.json()["error"]["message"]


def test_mapping_needs_a_reason_and_a_security_of_the_master(queue, alice_firm, data_client):
    entry, hold, _, apple = queue
    url = f"/api/v1/unknown-securities/{entry.pk}/map/"

    missing = data_client.post(url, {"security": apple.pk}, content_type="application/json")
    placeholder = data_client.post(url, {"security": entry.placeholder_id, "reason": "x"},
                                   content_type="application/json")
    mapped = data_client.post(url, {"security": apple.pk, "reason": "AMZN is AAPL here"},
                              content_type="application/json")

    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert placeholder.status_code == 400 and "security" in placeholder.json()["error"]["fields"]
    assert mapped.status_code == 200
    assert mapped.json()["resolved_to"] == apple.pk
    with firm_context(alice_firm.firm):
        assert UnknownSecurity.objects.get(pk=entry.pk).status == "resolved"
        assert AccountHold.objects.get(pk=hold.pk).cleared_at is not None


def test_a_feeds_token_may_not_resolve_unknown_securities(queue, feeds_token):
    client, _ = feeds_token
    response = client.post(f"/api/v1/unknown-securities/{queue[0].pk}/map/",
                           {"security": queue[3].pk, "reason": "x"},
                           content_type="application/json")
    assert response.status_code == 404


def test_account_holds_are_the_open_ones_by_account_and_kind(queue, alice_firm):
    _, hold, other, _ = queue
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        cleared = df.hold(alice_firm.account, reason="old", source="feed:cash")
        from accounts.services.holds import holds_clear

        holds_clear(source="feed:cash", reason="cash file loaded cleanly")
    client, _ = token_client(alice_firm, "oms", [Scope.ACCOUNTS_READ])

    def ids(query: str = "") -> list[int]:
        response = client.get(f"/api/v1/account-holds/{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [other.pk, hold.pk]
    assert ids(f"?account={alice_firm.account.account_number}") == [hold.pk]
    assert ids("?kind=data_error&account=ALICE-002") == [other.pk]
    assert ids("?kind=suspension") == []
    assert ids("?open=false") == [cleared.pk]
    detail = client.get(f"/api/v1/account-holds/{cleared.pk}/").json()
    assert (detail["account_number"], detail["cleared_reason"]) == (
        "ALICE-001", "cash file loaded cleanly")
    feeds_only, _ = token_client(alice_firm, "feeds", [Scope.FEEDS_WRITE])
    assert feeds_only.get("/api/v1/account-holds/").status_code == 403
