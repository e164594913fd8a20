"""The inbox door, expected-file schedules, late-file alerts and stale holdings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.conf import settings
from django.test import override_settings

from accounts.models import Account, AccountHold
from accounts.services.staleness import holdings_staleness_check
from dataops.models import FeedFile, FeedSchedule
from dataops.services.inbox import inbox_path, inbox_scan
from dataops.services.monitoring import expected_files, feed_schedules_check
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Alert
from tests import feed_files as ff

pytestmark = pytest.mark.django_db


def test_inbox_loads_complete_files_and_leaves_files_in_transit(alice_firm, tmp_path):
    with override_settings(FEED_INBOX=tmp_path):
        inbox = inbox_path("ALICE")
        inbox.mkdir(parents=True)
        ff.write(inbox, "securities_20261124.csv", ff.securities())
        ff.write(inbox, "accounts_20261124.csv.part", ff.accounts())
        ff.write(inbox, ".tax_lots_20261124.csv", ff.tax_lots())
        with firm_context(alice_firm.firm):
            received = inbox_scan()
            assert [(f.name, f.status, f.door) for f in received] == [
                ("securities_20261124.csv", "loaded", "inbox")]
            assert inbox_scan() == []  # moved aside, not read twice
        assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [
            ".tax_lots_20261124.csv", "accounts_20261124.csv.part"]
        # The transfer completes: the final name appears and the next scan loads it.
        (inbox / "accounts_20261124.csv.part").rename(inbox / "accounts_20261124.csv")
        with firm_context(alice_firm.firm):
            assert [f.name for f in inbox_scan()] == ["accounts_20261124.csv"]


def test_beat_scans_every_inbox():
    schedule = settings.CELERY_BEAT_SCHEDULE["scan-feed-inboxes"]
    assert schedule["task"] == "dataops.inbox_scan_all"


@pytest.fixture
def scheduled(alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedSchedule.objects.create(feed="tax_lots", cutoff=time(6, 0))
        FeedSchedule.objects.create(feed="cash", cutoff=time(6, 0))
    return alice_firm.firm


def test_late_file_raises_one_alert_to_data_managers(scheduled):
    # Tuesday 2026-11-24 07:00 in New York: Monday's files were due at 06:00.
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with firm_context(scheduled):
        FeedFile.objects.create(name="cash_20261123.csv", feed="cash",
                                business_date=date(2026, 11, 23), checksum="c" * 64, size=1,
                                door="cli", delivered_by="tests", status="loaded")
        missing = feed_schedules_check(now=now)
        feed_schedules_check(now=now)  # a second check folds into the same alert
        alerts = list(Alert.objects.filter(kind="late_file"))
    assert [(m.feed, m.business_date) for m in missing] == [("tax_lots", date(2026, 11, 23))]
    assert len(alerts) == 1 and alerts[0].occurrences == 2
    assert alerts[0].roles == ["data_manager"]
    assert "tax_lots" in alerts[0].subject and "2026-11-23" in alerts[0].subject


def test_a_due_lot_file_holds_accounts_without_it(scheduled, alice_firm):
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with firm_context(scheduled):
        feed_schedules_check(now=now)
        held = set(AccountHold.objects.filter(source="stale:tax_lots", cleared_at__isnull=True)
                   .values_list("account__account_number", flat=True))
    assert held == {alice_firm.account.account_number, alice_firm.other_account.account_number}


def test_monitor_shows_expected_against_received(scheduled):
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with firm_context(scheduled):
        rows = expected_files(days=2, now=now)
    assert {(r.feed, r.business_date) for r in rows} == {
        ("tax_lots", date(2026, 11, 23)), ("cash", date(2026, 11, 23)),
        ("tax_lots", date(2026, 11, 20)), ("cash", date(2026, 11, 20))}
    assert {r.state for r in rows} == {"missing"}


def test_stale_holdings_are_held_until_current(alice_firm, tmp_path):
    import io

    from django.core.management import call_command

    for name, data in [("securities_20261123.csv", ff.securities()),
                       ("accounts_20261123.csv", ff.accounts()),
                       ("tax_lots_20261123.csv", ff.tax_lots()),
                       ("cash_20261123.csv", ff.cash())]:
        ff.write(tmp_path, name, data)
    call_command("load_feeds", "--firm", "ALICE", str(tmp_path), stdout=io.StringIO())
    with firm_context(alice_firm.firm):
        stale = holdings_staleness_check(business_date=date(2026, 11, 24))
        smith = Account.objects.get(account_number="A-1")
        hold = AccountHold.objects.get(account=smith, source="stale:tax_lots",
                                       cleared_at__isnull=True)
        assert "last snapshot 2026-11-23" in hold.reason
        # 3 feed accounts + the persona fixture's 2 accounts, which have no snapshot at all.
        assert stale == 5
        assert holdings_staleness_check(business_date=date(2026, 11, 23)) == 2
        hold.refresh_from_db()
        assert hold.cleared_at is not None
