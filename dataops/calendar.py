"""Business days: weekdays the New York Stock Exchange is open."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _closures(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("NYSE", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _closures(day.year)


def previous_business_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def business_days_back(day: date, count: int) -> list[date]:
    """The `count` business days up to and including `day` (if it is one), newest first."""
    days: list[date] = []
    current = day if is_business_day(day) else previous_business_day(day)
    while len(days) < count:
        days.append(current)
        current = previous_business_day(current)
    return days
