"""The data manager's dashboard (/data/): today's files, quarantined rows, unknown securities,
corporate actions, holds by what set them and the latest reconciliation breaks."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, AccountHold, ReconciliationBreak
from dataops.calendar import business_days_back, next_business_day
from dataops.models import CorporateAction, FeedFile, FeedSchedule
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import membership_grant, user_ensure
from tests import data_factories as df
from tests.html_text import rows, texts

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def data_client(alice_firm):
    with audit_context(system_job="tests"), firm_context(alice_firm.firm):
        user = user_ensure(email="data@alice.test", password="correct-horse-9")
        membership_grant(user=user, roles=[Role.DATA_MANAGER], acting_user=None,
                         system_job="tests")
    client = Client()
    client.force_login(user)
    return client


def _days():
    """The business date whose files are due today, and the one before."""
    today = timezone.now().astimezone(NEW_YORK).date()
    return business_days_back(today, 3)[1:]


def _accounts(personas, count: int, start: int = 0) -> list[Account]:
    return [Account.objects.create(account_number=f"D-{n:03d}", name=f"Data {n:03d}",
                                   household=personas.household)
            for n in range(start, start + count)]


def build(personas) -> dict:
    """Two schedules (one file in, one not), a file with quarantined rows, unknown securities,
    holds of every source, two days of breaks and corporate actions."""
    day, before = _days()
    with firm_context(personas.firm), audit_context(system_job="tests"):
        FeedSchedule.objects.create(feed="tax_lots", cutoff=time(6, 0))
        FeedSchedule.objects.create(feed="prices", cutoff=time(0, 1))
        lots = df.feed_file(name=f"tax_lots_{day:%Y%m%d}.csv",
                            status=FeedFile.Status.LOADED_WITH_ERRORS, rows_read=10,
                            rows_loaded=8, rows_quarantined=2,
                            received_at=datetime.combine(next_business_day(day), time(5, 0),
                                                         NEW_YORK))
        df.quarantined_row(lots, line_number=3, column="quantity", reason="negative",
                           raw={"account_number": "D-000", "quantity": "-1"})
        group = _accounts(personas, 6)
        old = df.feed_file(name=f"cash_{before:%Y%m%d}_1.csv",
                           status=FeedFile.Status.LOADED_WITH_ERRORS, rows_quarantined=1)
        unknown = df.unknown_security(file=old, ticker="ZZ0", cusip="999990000")
        df.hold(group[0], reason="bad row", source="feed:tax_lots")
        df.hold(group[1], reason="unknown", source=f"unknown_security:{unknown.placeholder_id}")
        df.hold(group[2], reason="split desync", source="corporate_action:CA-0:prices")
        df.hold(group[3], reason="suspended", source="user:1", kind=AccountHold.Kind.SUSPENSION)
        df.hold(group[4], reason="two reasons", source="feed:cash")
        df.hold(group[4], reason="two reasons", source="stale:prices")
        df.reconciliation_break(group[5], day=day, reason="cash negative 0")
        df.reconciliation_break(group[0], day=day, reason="lots differ 0",
                                kind=ReconciliationBreak.Kind.LOTS_VS_TRANSACTIONS)
        df.reconciliation_break(group[1], day=before, reason="older 0")
        CorporateAction.objects.create(action_id="CA-0", type=CorporateAction.Type.SPLIT,
                                       effective_date=day, ratio_from=1, ratio_to=2)
        CorporateAction.objects.create(action_id="CB-0", type=CorporateAction.Type.SPINOFF,
                                       effective_date=before, problem="lacks basis_allocation_pct")
        CorporateAction.objects.create(action_id="CC-0", type=CorporateAction.Type.SPLIT,
                                       effective_date=before, ratio_from=1, ratio_to=2,
                                       status=CorporateAction.Status.APPLIED)
    return {"day": day, "lots": lots}


def test_the_dashboard_shows_what_needs_the_data_manager(alice_firm, data_client):
    built = build(alice_firm)

    html = data_client.get("/data/").content.decode()

    day = built["day"]
    assert texts(html, "data-totals") == [
        "1 of today's 2 files missing 4 accounts held for data errors 1 unknown security "
        f"2 reconciliation breaks on {day:%b} {day.day}"]
    due = next_business_day(day)
    assert rows(html, "expected-row") == [["prices", "Missing", f"due {due:%a} 00:01"],
                                          ["tax_lots", "Received", f"{due:%a} 05:00"]]
    assert texts(html, "feed-states") == ["Received 1 Received late 0 Missing 1 Not yet due 0"]
    assert [row[:2] for row in rows(html, "quarantine-row")] == [  # newest received first
        [f"cash_{_days()[1]:%Y%m%d}_1.csv", "1"], [f"tax_lots_{day:%Y%m%d}.csv", "2"]]
    assert rows(html, "unknown-row")[0][0] == "ZZ0 CUSIP 999990000"
    assert texts(html, "actions-received") == ["2 (1 lacking a term)"]
    assert [row[0] for row in rows(html, "action-row")] == [
        "CB-0 Spin-off lacks basis_allocation_pct", "CA-0 Split"]
    assert texts(html, "desync-held") == ["1"]
    assert [row[1] for row in rows(html, "held-by")] == ["2", "1", "1", "1", "1", "0"]
    assert texts(html, "accounts-on-hold") == ["5"]
    assert texts(html, "breaks") == [  # the heading, its link, the day's counts, the rows
        f"Reconciliation breaksAll breaks Business date {day:%a %Y-%m-%d}: "
        "lots vs transactions 1, negative cash 1. Account Kind Reason D-000 Lots vs transactions "
        "lots differ 0 D-005 Negative cash cash negative 0"]
    for url in ("/data/monitor/", f"/data/feeds/{built['lots'].pk}/", "/data/unknown-securities/",
                "/data/corporate-actions/report/", "/data/holds/"):
        assert f'href="{url}' in html, url


def test_an_empty_firm_has_a_calm_dashboard(data_client):
    html = data_client.get("/data/").content.decode()

    assert texts(html, "no-schedules")
    assert texts(html, "data-totals") == [
        "0 files missing: no feed schedules 0 accounts held for data errors 0 unknown securities "
        "0 reconciliation breaks"]
    assert "No reconciliation breaks." in html and "Every action is applied." in html


def test_the_queries_do_not_grow_with_the_book(alice_firm, data_client):
    build(alice_firm)
    with CaptureQueriesContext(connection) as small:
        assert data_client.get("/data/").status_code == 200
    _more(alice_firm)
    with CaptureQueriesContext(connection) as large:
        assert data_client.get("/data/").status_code == 200
    # 13 of the page's own (grouped counts and the first rows of each part), the rest the
    # session, user, membership and firm context of every page.
    assert len(large) == len(small) <= 24, [q["sql"][:120] for q in large.captured_queries]


def _more(personas) -> None:
    """Ten times the rows of every part."""
    day, before = _days()
    with firm_context(personas.firm), audit_context(system_job="tests"):
        accounts = _accounts(personas, 30, start=100)
        for n, account in enumerate(accounts):
            file = df.feed_file(name=f"tax_lots_{before:%Y%m%d}_{n + 2}.csv",
                                status=FeedFile.Status.LOADED_WITH_ERRORS, rows_quarantined=3)
            unknown = df.unknown_security(file=file, ticker=f"YY{n}")
            df.hold(account, reason="unknown", source=f"unknown_security:{unknown.placeholder_id}")
            df.reconciliation_break(account, day=day, reason=f"more {n}")
            CorporateAction.objects.create(action_id=f"CX-{n}", type=CorporateAction.Type.SPLIT,
                                           effective_date=day, ratio_from=1, ratio_to=2)


@pytest.mark.parametrize(("who", "status"), [("advisor", 403), ("compliance", 403),
                                              ("overlay_manager", 200), ("admin", 200)])
def test_who_may_see_the_dashboard(alice_firm, who, status):
    client = Client()
    client.force_login(getattr(alice_firm, who))
    assert client.get("/data/").status_code == status


def test_another_firms_rows_never_show(alice_firm, bob_firm, data_client):
    build(bob_firm)

    html = data_client.get("/data/").content.decode()

    assert "ZZ0" not in html and "CA-0" not in html and "cash negative" not in html
    assert texts(html, "accounts-on-hold") == ["0"]
