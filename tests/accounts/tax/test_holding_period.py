"""Short or long term: more than one year, counted from the day after acquisition (Pub 550)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.tax.holding_period import days_held, long_term_from, term


@pytest.mark.parametrize(("sold", "expected"), [
    (date(2026, 3, 15), "short"),  # exactly one year: 2025-03-16 through 2026-03-15
    (date(2026, 3, 16), "long"),   # the first day of more than one year
    (date(2025, 3, 15), "short"),  # sold the day it was bought
])
def test_boundary_day_both_sides(sold, expected):
    assert term(date(2025, 3, 15), sold, None) == expected


def test_publication_550_holding_period_example():
    # Pub 550, "Holding Period": bought February 5, sold February 5 of the next year is not more
    # than one year; sold February 6 it is.
    assert term(date(2023, 2, 5), date(2024, 2, 5), None) == "short"
    assert term(date(2023, 2, 5), date(2024, 2, 6), None) == "long"


@pytest.mark.parametrize(("acquired", "last_short", "first_long"), [
    # Bought on leap day: the period starts Mar 1 and a year of it ends Feb 28.
    (date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)),
    # Bought Feb 28 before a leap year: a year from Mar 1, 2023 runs through Feb 29, 2024.
    (date(2023, 2, 28), date(2024, 2, 29), date(2024, 3, 1)),
    # Bought Feb 28 of a leap year: the period starts on Feb 29, which has no anniversary.
    (date(2024, 2, 28), date(2025, 2, 28), date(2025, 3, 1)),
    # Bought Mar 1 of a leap year: nothing special, the leap day is inside the year.
    (date(2024, 3, 1), date(2025, 3, 1), date(2025, 3, 2)),
])
def test_leap_years(acquired, last_short, first_long):
    assert term(acquired, last_short, None) == "short"
    assert term(acquired, first_long, None) == "long"
    assert long_term_from(acquired) == first_long


def test_carried_holding_period_starts_counting_from_the_carried_date():
    # A wash-sale replacement bought 2026-01-10 carrying 223 days: counted as if bought
    # 2025-06-01, it is long-term from 2026-06-02 instead of 2027-01-11.
    acquired, carried = date(2026, 1, 10), date(2025, 6, 1)
    assert term(acquired, date(2026, 6, 1), carried) == "short"
    assert term(acquired, date(2026, 6, 2), carried) == "long"
    assert term(acquired, date(2026, 6, 2), None) == "short"


def test_invariants_over_three_years_of_acquisition_days():
    day = date(2023, 1, 1)
    while day <= date(2025, 12, 31):
        first_long = long_term_from(day)
        assert term(day, first_long - timedelta(days=1)) == "short"
        assert term(day, first_long) == "long"
        # A year and a day, or two days when the leap day falls inside.
        assert (first_long - day).days in (366, 367)
        # A holding period start equal to the acquisition date changes nothing.
        assert term(day, first_long, day) == term(day, first_long, None)
        day += timedelta(days=1)


def test_days_held_is_what_a_wash_sale_carries():
    # Bought September 24, sold February 3 of the next year: 132 days, the day of purchase
    # excluded and the day of sale included.
    assert days_held(date(2022, 9, 24), date(2023, 2, 3)) == 132
    assert days_held(date(2022, 9, 24), date(2022, 9, 24)) == 0
    assert days_held(date(2023, 2, 11), date(2023, 3, 1), date(2022, 10, 2)) == 150


def test_sale_before_acquisition_is_bad_data():
    with pytest.raises(ValueError, match="before it was acquired"):
        term(date(2025, 3, 15), date(2025, 3, 14))
    with pytest.raises(ValueError, match="before it was acquired"):
        days_held(date(2025, 3, 15), date(2025, 3, 14))
