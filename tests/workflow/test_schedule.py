"""The cycle is due at the firm's start time, in its time zone, on NYSE business days, and
analyzes the previous business day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from workflow.schedule import deadline_for, due_cycle

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
START, DEADLINE = time(6, 30), time(8, 30)


def due(at: datetime, zone=NEW_YORK):
    return due_cycle(now=at, start=START, deadline=DEADLINE, zone=zone)


def test_due_from_the_start_time_until_the_deadline_in_the_firms_zone():
    # Wednesday 25 November 2026; New York is UTC-5 in November.
    assert due(datetime(2026, 11, 25, 11, 29, tzinfo=UTC)) is None
    cycle = due(datetime(2026, 11, 25, 11, 30, tzinfo=UTC))
    assert cycle is not None
    assert cycle.business_date == date(2026, 11, 24)
    assert cycle.starts_at == datetime(2026, 11, 25, 6, 30, tzinfo=NEW_YORK)
    assert cycle.deadline == datetime(2026, 11, 25, 8, 30, tzinfo=NEW_YORK)
    assert due(datetime(2026, 11, 25, 13, 29, tzinfo=UTC)) == cycle
    assert due(datetime(2026, 11, 25, 13, 30, tzinfo=UTC)) is None
    # The same instant is 11:30 in London: past a London firm's deadline.
    assert due(datetime(2026, 11, 25, 11, 30, tzinfo=UTC), LONDON) is None
    assert due(datetime(2026, 11, 25, 6, 30, tzinfo=UTC), LONDON).business_date == \
        date(2026, 11, 24)


def test_not_due_on_weekends_or_nyse_holidays():
    assert due(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) is None  # Thanksgiving
    assert due(datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) is None  # Saturday
    # Friday after Thanksgiving analyzes Wednesday; Monday analyzes Friday.
    assert due(datetime(2026, 11, 27, 12, 0, tzinfo=UTC)).business_date == date(2026, 11, 25)
    assert due(datetime(2026, 11, 30, 12, 0, tzinfo=UTC)).business_date == date(2026, 11, 27)


def test_the_deadline_of_a_business_date_is_on_the_next_business_day():
    assert deadline_for(business_date=date(2026, 11, 25), start=START, deadline=DEADLINE,
                        zone=NEW_YORK) == datetime(2026, 11, 27, 8, 30, tzinfo=NEW_YORK)
    assert deadline_for(business_date=date(2026, 11, 27), start=START, deadline=DEADLINE,
                        zone=NEW_YORK) == datetime(2026, 11, 30, 8, 30, tzinfo=NEW_YORK)
