"""The firm admin's schedules page: the nightly cycle's start, deadline and zone changed with a
reason (audited, and used by the cycle), the expected feeds listed (sorted, filtered, paged in
bounded queries), and the other firm policies linked."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from dataops.models import FeedSchedule
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context
from rebal.models import Firm
from tests.html_text import rows, texts
from workflow.models import NightlyPolicy
from workflow.services.nightly import nightly_run_due_start
from workflow.services.nightly_schedule import nightly_schedule_update

pytestmark = pytest.mark.django_db
URL = "/administration/schedules/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**changes: str) -> dict[str, str]:
    return {"start_time": "05:15", "deadline_time": "07:45", "timezone_name": "America/Chicago",
            "is_active": "on", "reason": "custodian files come earlier", **changes}


def test_the_admin_changes_the_nightly_time_and_zone_with_a_reason(alice_firm):
    admin = _client(alice_firm.admin)
    page = admin.get(URL).content.decode()
    assert "Starts at 06:30, due by 08:30 (America/New_York)" in texts(page, "nightly-schedule")[0]
    assert admin.post(URL, _form(reason="")).status_code == 200  # refused: no reason
    assert admin.post(URL, _form()).status_code == 302
    firm = Firm.objects.get(pk=alice_firm.firm.pk)
    assert firm.timezone == "America/Chicago"
    with firm_context(firm):
        policy = NightlyPolicy.objects.get()
        assert (policy.start_time, policy.deadline_time) == (time(5, 15), time(7, 45))
        change = policy.history.latest()
        assert (change.history_user, change.history_change_reason) == (
            alice_firm.admin, "custodian files come earlier")
    assert firm.history.latest().history_change_reason == "custodian files come earlier"
    page = admin.get(URL).content.decode()
    assert "Starts at 05:15, due by 07:45 (America/Chicago)" in texts(page, "nightly-schedule")[0]
    assert "custodian files come earlier" in page


def test_the_cycle_starts_at_the_new_time_in_the_new_zone(alice_firm):
    with firm_context(alice_firm.firm):
        nightly_schedule_update(start_time=time(5, 15), deadline_time=time(7, 45),
                                timezone_name="America/Chicago", is_active=True,
                                acting_user=alice_firm.admin, reason="earlier")
    chicago = ZoneInfo("America/Chicago")
    firm = Firm.objects.get(pk=alice_firm.firm.pk)
    with firm_context(firm), audit_context(system_job="tests"):
        assert nightly_run_due_start(now=datetime(2026, 11, 24, 5, 14, tzinfo=chicago)) is None
        run = nightly_run_due_start(now=datetime(2026, 11, 24, 5, 16, tzinfo=chicago))
    assert run is not None and run.business_date.isoformat() == "2026-11-23"


def test_a_deadline_before_the_start_or_an_unknown_zone_is_refused(alice_firm):
    with firm_context(alice_firm.firm):
        with pytest.raises(ValidationError, match="deadline must be after"):
            nightly_schedule_update(start_time=time(8), deadline_time=time(7),
                                    timezone_name="UTC", is_active=True,
                                    acting_user=alice_firm.admin, reason="x")
        with pytest.raises(ValidationError, match="not an IANA time zone"):
            nightly_schedule_update(start_time=time(5), deadline_time=time(7),
                                    timezone_name="Mars/Olympus", is_active=True,
                                    acting_user=alice_firm.admin, reason="x")
        assert not NightlyPolicy.objects.exists()


def test_switching_the_cycle_off_stops_it_starting(alice_firm):
    admin = _client(alice_firm.admin)
    admin.post(URL, _form(is_active="", reason="migration weekend"))
    page = admin.get(URL).content.decode()
    assert "Switched off" in texts(page, "nightly-schedule")[0]
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        assert nightly_run_due_start(
            now=datetime(2026, 11, 24, 5, 30, tzinfo=ZoneInfo("America/Chicago"))) is None


def test_expected_feeds_are_listed_sorted_filtered_and_paged(alice_firm,
                                                             django_assert_max_num_queries):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        bulk_create_audited(FeedSchedule, [
            FeedSchedule(firm=alice_firm.firm, feed=f"feed_{n:02d}", cutoff=time(n % 12, 0),
                         is_active=n % 3 != 0) for n in range(60)])
    admin = _client(alice_firm.admin)
    with django_assert_max_num_queries(14):
        page = admin.get(URL).content.decode()
    assert "Page 1 of 2 · 60 in all" in page and len(rows(page, "feed-schedule-row")) == 50
    off = rows(admin.get(URL, {"active": "no", "sort": "-feed"}).content.decode(),
               "feed-schedule-row")
    assert len(off) == 20 and off[0] == ["feed_57", "09:00", "No"]
    found = rows(admin.get(URL, {"q": "feed_1"}).content.decode(), "feed-schedule-row")
    assert [r[0] for r in found] == [f"feed_{n}" for n in range(10, 20)]
    for link in ("/workflow/dispositions/policies/", "/workflow/batches/release-controls/",
                 "/workflow/settings-rules/"):
        assert f'href="{link}"' in page


def test_only_the_firm_admin_reaches_the_schedules(alice_firm):
    for user in (alice_firm.advisor, alice_firm.overlay_manager, alice_firm.compliance):
        assert _client(user).get(URL).status_code == 403
        assert _client(user).post(URL, _form()).status_code == 403
