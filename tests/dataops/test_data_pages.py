"""The data manager's pages: files received and upload, one file's quarantined rows, expected
files, the unknown-securities queue, holds and breaks; and an account's holdings and holds."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import AccountHold
from dataops.models import AssetClass, FeedFile, FeedSchedule, Security, UnknownSecurity
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests import data_factories as df
from tests import feed_files as ff
from tests.html_text import rows, texts

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    """A New York wall-clock time (the firms' time zone)."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nav(html: str) -> list[str]:
    return re.findall(r'<li><a href="[^"]+"(?: aria-current="page")?>([^<]+)</a></li>', html)


@pytest.fixture
def files(alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        lots = df.feed_file(name="tax_lots_20261123.csv", status=FeedFile.Status.LOADED_WITH_ERRORS,
                            rows_read=4, rows_loaded=2, rows_quarantined=2,
                            delivered_by="custodian", received_at=at("2026-11-24T05:40"))
        df.quarantined_row(lots, line_number=5, column="acquired_date",
                           reason="2021-13-45 is not a calendar date",
                           raw={"account_number": "ALICE-002", "lot_id": "L9",
                                "acquired_date": "2021-13-45"})
        df.quarantined_row(lots, line_number=2, column="quantity",
                           reason="must not be negative, got -5",
                           raw={"account_number": "ALICE-001", "lot_id": "L1", "quantity": "-5"})
        prices = df.feed_file(name="prices_20261124.csv", rows_read=500, rows_loaded=500,
                              delivered_by="pricing@vendor.test", door=FeedFile.Door.API,
                              received_at=at("2026-11-25T01:05"))
        rejected = df.feed_file(name="tax_lots_20261124.csv", status=FeedFile.Status.REJECTED,
                                error="missing required column quantity",
                                received_at=at("2026-11-25T05:10"))
    return lots, prices, rejected


def test_the_data_manager_sees_every_file_with_its_counts(files, data_client):
    response = data_client.get("/data/feeds/")

    assert response.status_code == 200
    html = response.content.decode()
    assert nav(html) == ["Home", "Data", "Households", "Accounts", "Feeds", "Data exceptions",
                         "Nightly runs", "Filters"]
    assert rows(html, "feed-file-row") == [
        ["tax_lots_20261124.csv", "2026-11-24 tax_lots", "Rejected", "0", "0", "0",
         "custodian inbox", "2026-11-25 05:10 loaded in 1.50 s"],
        ["prices_20261124.csv", "2026-11-24 prices", "Loaded", "500", "500", "0",
         "pricing@vendor.test API", "2026-11-25 01:05 loaded in 1.50 s"],
        ["tax_lots_20261123.csv", "2026-11-23 tax_lots", "Loaded with errors", "4", "2", "2",
         "custodian inbox", "2026-11-24 05:40 loaded in 1.50 s"],
    ]
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize(("query", "names"), [
    ("?status=rejected", ["tax_lots_20261124.csv"]),
    ("?feed=tax_lots", ["tax_lots_20261124.csv", "tax_lots_20261123.csv"]),
    ("?status=loaded&feed=tax_lots", []),
])
def test_files_filter_by_status_and_feed(files, data_client, query, names):
    html = data_client.get(f"/data/feeds/{query}").content.decode()
    assert [row[0] for row in rows(html, "feed-file-row")] == names


def test_an_overlay_manager_sees_files_but_may_not_upload(files, alice_firm):
    client = client_for(alice_firm.overlay_manager)
    html = client.get("/data/feeds/").content.decode()
    assert len(rows(html, "feed-file-row")) == 3
    assert "multipart/form-data" not in html
    upload = client.post("/data/feeds/",
                         {"file": SimpleUploadedFile("cash_20261124.csv", ff.cash())})
    assert upload.status_code == 403
    with firm_context(alice_firm.firm):
        assert FeedFile.objects.count() == 3


def test_an_advisor_has_no_data_pages(files, alice_firm):
    client = client_for(alice_firm.advisor)
    assert "Feeds" not in nav(client.get("/").content.decode())
    for url in ("/data/feeds/", "/data/monitor/", "/data/unknown-securities/", "/data/holds/"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/data/feeds/{files[0].pk}/").status_code == 404


def test_a_file_page_lists_its_quarantined_rows_by_line(files, data_client):
    response = data_client.get(f"/data/feeds/{files[0].pk}/")

    html = response.content.decode()
    assert texts(html, "status") == ["Loaded with errors"]
    assert texts(html, "row-counts") == ["4 read · 2 loaded · 2 quarantined"]
    assert rows(html, "quarantined-row") == [
        ["2", "quantity", "must not be negative, got -5", "ALICE-001",
         "quantity -5 account_number ALICE-001 lot_id L1"],
        ["5", "acquired_date", "2021-13-45 is not a calendar date", "ALICE-002",
         "acquired_date 2021-13-45 account_number ALICE-002 lot_id L9"],
    ]
    assert "touching accounts ALICE-001, ALICE-002" in html


def test_a_rejected_files_page_says_why(files, data_client):
    html = data_client.get(f"/data/feeds/{files[2].pk}/").content.decode()
    assert texts(html, "file-error") == ["missing required column quantity"]
    assert texts(html, "no-quarantined-rows") == ["No rows were quarantined."]


def test_a_file_uploaded_in_the_page_is_loaded_and_its_bad_row_shown(alice_firm, data_client,
                                                                     data_manager):
    data = ff.securities([
        [ff.AMZN, "AMZN", "Amazon.com Inc.", "equity", "EQ.US.LARGE", "", ""],
        ["123456780", "BADX", "Bad Corp.", "equity", "", "", ""],
        ["", "VOO", "Vanguard S&P 500 ETF", "etf", "EQ.US.LARGE", "", ""]])

    response = data_client.post(
        "/data/feeds/", {"file": SimpleUploadedFile("securities_20261124.csv", data)},
        follow=True)

    with firm_context(alice_firm.firm):
        feed_file = FeedFile.objects.get()
        assert (feed_file.door, feed_file.delivered_by, feed_file.status) == (
            "api", "data@alice.test", "loaded_with_errors")
        assert Security.history.get(ticker="AMZN").history_user_id == data_manager.pk
    assert response.redirect_chain == [(f"/data/feeds/{feed_file.pk}/", 302)]
    html = response.content.decode()
    assert ("securities_20261124.csv: loaded with errors — 6 read, 5 loaded, 1 quarantined."
            in html)
    assert [row[:4] for row in rows(html, "quarantined-row")] == [
        ["6", "cusip", "CUSIP 123456780 check digit should be 2", "—"]]


def test_an_upload_without_a_file_shows_the_form_again(data_client):
    response = data_client.post("/data/feeds/", {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_monitor_colours_expected_files_by_state(alice_firm, data_client, monkeypatch):
    """Wednesday 2026-11-18, 07:00 in New York: the files of the five business days before."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedSchedule.objects.create(feed="tax_lots", cutoff="06:00")
        FeedSchedule.objects.create(feed="cash", cutoff="09:00")
        on_time = df.feed_file(name="tax_lots_20261111.csv", received_at=at("2026-11-12T05:00"))
        df.feed_file(name="tax_lots_20261112.csv", received_at=at("2026-11-13T08:30"))
        df.feed_file(name="tax_lots_20261116.csv", received_at=at("2026-11-17T04:00"))
        df.feed_file(name="tax_lots_20261113.csv", status=FeedFile.Status.REJECTED,
                     received_at=at("2026-11-14T04:00"))  # rejected: still missing
    monkeypatch.setattr(timezone, "now", lambda: at("2026-11-18T07:00"))

    html = data_client.get("/data/monitor/").content.decode()

    states = {day: state for state, day in re.findall(
        r'class="cell state-([a-z-]+)" data-testid="monitor-cell" data-feed="tax_lots" '
        r'data-date="([0-9-]+)"', html)}
    assert states == {"2026-11-11": "received", "2026-11-12": "received-late",
                      "2026-11-13": "missing", "2026-11-16": "received",
                      "2026-11-17": "missing"}
    cash = re.findall(r'class="cell state-([a-z-]+)" data-testid="monitor-cell" '
                      r'data-feed="cash" data-date="([0-9-]+)"', html)
    assert cash[-1] == ("not-yet-due", "2026-11-17")
    assert {state for state, _ in cash[:-1]} == {"missing"}
    assert texts(html, "monitor-legend") == [
        "received 2 received late 1 missing 6 not yet due 1"]
    assert f'href="/data/feeds/{on_time.pk}/"' in html


def test_the_monitor_without_schedules_says_so(data_client):
    html = data_client.get("/data/monitor/").content.decode()
    assert texts(html, "no-schedules")[0].startswith("No feed schedules yet")


@pytest.fixture
def queue(alice_firm):
    """AMZN unknown, held by both accounts of firm A, each on hold because of it."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        file = df.feed_file(name="tax_lots_20261124.csv", received_at=at("2026-11-25T05:30"))
        entry = df.unknown_security(file=file, cusip=ff.AMZN, ticker="AMZN")
        holds = []
        for account in (alice_firm.account, alice_firm.other_account):
            df.snapshot(account, file=file, cash="100.00", lots=[
                df.Lot(entry.placeholder, "3", "540.00", date(2024, 1, 2))])
            holds.append(df.hold(account, reason="holds a security not in the security master",
                                 source=f"unknown_security:{entry.placeholder_id}"))
        stale = df.hold(alice_firm.account, reason="tax_lots_20261124.csv: line 4: bad",
                        source="feed:tax_lots")
        AssetClass.objects.create(code="EQ.US.LARGE", name="US Large Cap")
        apple = df.security(ticker="AAPL", cusip=ff.AAPL, name="Apple Inc.")
    return entry, holds, stale, apple


def test_the_queue_shows_each_unknown_security_and_how_many_accounts_hold_it(queue,
                                                                            data_client):
    html = data_client.get("/data/unknown-securities/").content.decode()
    [card] = texts(html, "unknown-security")
    assert card.startswith(f"AMZN · CUSIP {ff.AMZN} held by 2 accounts Held in ALICE-001, "
                           "ALICE-002. First seen in tax_lots_20261124.csv, "
                           "received 2026-11-25 05:30.")
    assert "Add to master" in card and "Map to existing" in card
    assert "US Large Cap (EQ.US.LARGE)" in card


def test_an_overlay_manager_sees_the_queue_without_the_forms(queue, alice_firm):
    client = client_for(alice_firm.overlay_manager)
    html = client.get("/data/unknown-securities/").content.decode()
    assert texts(html, "holders") == ["held by 2 accounts"]
    assert "Add to master" not in html
    entry = queue[0]
    response = client.post(f"/data/unknown-securities/{entry.pk}/add/", {})
    assert response.status_code == 404


def add_form(entry, **changes) -> dict[str, str]:
    prefix = f"add-{entry.pk}"
    values = {"name": "Amazon.com Inc.", "security_type": "equity",
              "asset_class": str(AssetClass.objects.get(code="EQ.US.LARGE").pk),
              "sector": "Consumer Discretionary", "reason": "new holding at the custodian"}
    values.update(changes)
    return {f"{prefix}-{key}": value for key, value in values.items()}


def test_adding_an_unknown_security_in_the_page_clears_its_holds(queue, alice_firm, data_client):
    entry, holds, stale, _ = queue
    with firm_context(alice_firm.firm):
        form = add_form(entry)

    response = data_client.post(f"/data/unknown-securities/{entry.pk}/add/", form, follow=True)

    assert response.redirect_chain == [("/data/unknown-securities/", 302)]
    html = response.content.decode()
    assert "AMZN added to the security master as Amazon.com Inc." in html
    assert texts(html, "queue-empty") == [
        "No unknown securities: every holding names a security of the master."]
    assert rows(html, "resolved-row")[0][:3] == [
        f"AMZN {ff.AMZN}", "added as AMZN — Amazon.com Inc.", "data@alice.test"]
    with firm_context(alice_firm.firm):
        assert UnknownSecurity.objects.get(pk=entry.pk).status == "resolved"
        security = Security.objects.get(pk=entry.placeholder_id)
        assert (security.status, security.asset_class.code) == ("active", "EQ.US.LARGE")
        cleared = AccountHold.objects.filter(pk__in=[h.pk for h in holds])
        assert [h.cleared_at is not None for h in cleared] == [True, True]
        assert all("security resolved" in h.cleared_reason for h in cleared)
        # The account's other hold stays until its own source clears it.
        assert AccountHold.objects.get(pk=stale.pk).cleared_at is None
        history = Security.history.filter(id=security.pk).latest("history_date")
        assert history.history_change_reason == "new holding at the custodian"


def test_adding_needs_a_reason_and_an_asset_class(queue, alice_firm, data_client):
    entry, holds, _, _ = queue
    with firm_context(alice_firm.firm):
        form = add_form(entry, reason="", asset_class="")

    response = data_client.post(f"/data/unknown-securities/{entry.pk}/add/", form)

    assert response.status_code == 400
    [card] = texts(response.content.decode(), "unknown-security")
    assert card.count("This field is required.") == 2
    with firm_context(alice_firm.firm):
        assert AccountHold.objects.get(pk=holds[0].pk).cleared_at is None


def test_with_htmx_the_card_is_swapped_for_its_outcome(queue, alice_firm, data_client):
    entry, holds, _, _ = queue
    url = f"/data/unknown-securities/{entry.pk}/add/"
    with firm_context(alice_firm.firm):
        incomplete, complete = add_form(entry, name=""), add_form(entry)

    refused = data_client.post(url, incomplete, HTTP_HX_REQUEST="true")
    added = data_client.post(url, complete, HTTP_HX_REQUEST="true")

    assert refused.status_code == 200  # htmx swaps successful responses only
    [card] = texts(refused.content.decode(), "unknown-security")
    assert card.count("This field is required.") == 1 and "<html" not in refused.content.decode()
    assert added.status_code == 200
    assert texts(added.content.decode(), "resolved-notice") == [
        "AMZN added to the security master as Amazon.com Inc.; the holds it caused are "
        "cleared."]
    with firm_context(alice_firm.firm):
        assert AccountHold.objects.get(pk=holds[0].pk).cleared_at is not None


def test_mapping_in_the_page_finds_the_security_by_ticker(queue, alice_firm, data_client):
    entry, holds, _, apple = queue
    url = f"/data/unknown-securities/{entry.pk}/map/"
    prefix = f"map-{entry.pk}"

    unknown = data_client.post(url, {f"{prefix}-security": "NOPE", f"{prefix}-reason": "x"})
    mapped = data_client.post(url, {f"{prefix}-security": " aapl ",
                                    f"{prefix}-reason": "custodian's old code"}, follow=True)

    assert unknown.status_code == 400
    assert "No security of the master has ticker or CUSIP NOPE." in unknown.content.decode()
    assert "AMZN mapped to AAPL (Apple Inc.)" in mapped.content.decode()
    with firm_context(alice_firm.firm):
        assert UnknownSecurity.objects.get(pk=entry.pk).resolved_to_id == apple.pk
        assert AccountHold.objects.get(pk=holds[1].pk).cleared_at is not None


def test_data_exceptions_show_holds_and_breaks(queue, alice_firm, data_client):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        df.reconciliation_break(alice_firm.other_account, day=date(2026, 11, 24),
                                reason="cash is -10.00")

    html = data_client.get("/data/holds/").content.decode()

    assert texts(html, "exception-counts") == [
        "2 accounts on hold 3 open holds 1 reconciliation break 1 unknown security"]
    assert [row[:4] for row in rows(html, "hold-row")] == [
        ["ALICE-001 ALICE Alpha IRA", "Data error", "tax_lots_20261124.csv: line 4: bad",
         "tax_lots feed"],
        ["ALICE-002 ALICE Beta Joint", "Data error",
         "holds a security not in the security master", "unknown security AMZN"],
        ["ALICE-001 ALICE Alpha IRA", "Data error",
         "holds a security not in the security master", "unknown security AMZN"],
    ]
    assert rows(html, "break-row") == [
        ["ALICE-002", "2026-11-24", "Negative cash", "cash is -10.00"]]
    assert 'href="/data/feeds/?feed=tax_lots"' in html
    suspended = data_client.get("/data/holds/?kind=suspension").content.decode()
    assert rows(suspended, "hold-row") == []


def test_an_account_page_shows_its_holdings_and_open_holds(queue, alice_firm):
    entry, _, _, apple = queue
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        newer = df.feed_file(name="tax_lots_20261125.csv")
        df.snapshot(alice_firm.account, file=newer, cash="2500.50", lots=[
            df.Lot(apple, "100", "15000.00", date(2020, 3, 2), "L1"),
            df.Lot(entry.placeholder, "3.5", "540.25", date(2024, 1, 2), "L2")])

    html = client_for(alice_firm.advisor).get(
        f"/accounts/{alice_firm.account.pk}/").content.decode()

    assert "as of 2026-11-25" in html
    assert rows(html, "lot-row") == [
        ["AAPL Apple Inc.", "L1", "100", "15,000.00", "2020-03-02"],
        [f"AMZN Unknown security {ff.AMZN} not in master", "L2", "3.5", "540.25",
         "2024-01-02"],
    ]
    assert texts(html, "total-basis") == ["15,540.25"]
    assert texts(html, "cash") == ["2,500.50"]
    assert texts(html, "on-hold") == ["On hold"]
    assert [row[1] for row in rows(html, "account-hold")] == [
        "tax_lots_20261124.csv: line 4: bad", "holds a security not in the security master"]


def test_an_account_without_a_snapshot_says_so(alice_firm):
    html = client_for(alice_firm.advisor).get(
        f"/accounts/{alice_firm.account.pk}/").content.decode()
    assert texts(html, "no-holdings") == [
        "The custodian has not reported this account's holdings yet."]
    assert texts(html, "on-hold") == []
