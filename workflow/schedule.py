"""When a firm's nightly cycle is due: its start time, in its time zone, on each business day
(the NYSE calendar); the cycle analyzes the previous business day, whose files arrive overnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dataops.calendar import is_business_day, previous_business_day


@dataclass(frozen=True)
class DueCycle:
    business_date: date  # the date of the data analyzed
    starts_at: datetime
    deadline: datetime


def cycle_for(*, trading_day: date, start: time, deadline: time, zone: ZoneInfo) -> DueCycle:
    """The cycle run on `trading_day` (a business day) for the business day before it."""
    starts_at = datetime.combine(trading_day, start, tzinfo=zone)
    ends_at = datetime.combine(trading_day, deadline, tzinfo=zone)
    return DueCycle(previous_business_day(trading_day), starts_at, ends_at)


def deadline_for(*, business_date: date, start: time, deadline: time, zone: ZoneInfo) -> datetime:
    """The deadline of the cycle that analyzes `business_date`: on the next business day."""
    trading_day = date.fromordinal(business_date.toordinal() + 1)
    while not is_business_day(trading_day):
        trading_day = date.fromordinal(trading_day.toordinal() + 1)
    return cycle_for(trading_day=trading_day, start=start, deadline=deadline,
                     zone=zone).deadline


def todays_cycle(*, now: datetime, start: time, deadline: time,
                 zone: ZoneInfo) -> DueCycle | None:
    """The cycle of the day `now` falls on in the firm's zone; None unless a business day."""
    local = now.astimezone(zone)
    if not is_business_day(local.date()):
        return None
    return cycle_for(trading_day=local.date(), start=start, deadline=deadline, zone=zone)


def due_cycle(*, now: datetime, start: time, deadline: time, zone: ZoneInfo) -> DueCycle | None:
    """The cycle due at `now` (started and not yet past its deadline), if today is a business
    day in the firm's zone; None otherwise."""
    cycle = todays_cycle(now=now, start=start, deadline=deadline, zone=zone)
    return cycle if cycle is not None and cycle.starts_at <= now < cycle.deadline else None
