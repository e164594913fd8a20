"""Short or long term: IRS Publication 550, "Holding Period".

The holding period starts the day after the acquisition date and includes the day of disposal;
property held *more than one year* is long-term. So a lot bought 2025-03-15 is short-term when
sold on 2026-03-15 (exactly one year: 2025-03-16 through 2026-03-15) and long-term from
2026-03-16.

A year is counted in calendar months from the first day of the holding period (Rev. Rul. 66-7),
which settles the leap-year cases:
- bought 2024-02-29: the period starts 2024-03-01, one year runs through 2025-02-28, long-term
  from 2025-03-01;
- bought 2023-02-28: the period starts 2023-03-01, one year runs through 2024-02-29, long-term
  from 2024-03-01 (not from 2024-02-29, as "one year after the purchase date" would say);
- bought 2024-02-28: the period starts 2024-02-29, which has no anniversary; one year runs
  through 2025-02-28, long-term from 2025-03-01.

`holding_period_start` is the date that stands in for the acquisition date when a holding period
was carried over (a wash sale's replacement shares, a spin-off): counting starts the day after it,
exactly as from an acquisition date, so `term(a, s, a) == term(a, s, None)` for every `a`, `s`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Term = Literal["short", "long"]

SHORT: Term = "short"
LONG: Term = "long"


def _counting_from(acquired: date, holding_period_start: date | None) -> date:
    return holding_period_start if holding_period_start is not None else acquired


def long_term_from(acquired: date, holding_period_start: date | None = None) -> date:
    """The first sale date on which the lot is long-term.

    Invariant: `term(acquired, d, start) == "long"` exactly when `d >= long_term_from(acquired,
    start)`.
    """
    first_day = _counting_from(acquired, holding_period_start) + timedelta(days=1)
    try:
        anniversary = first_day.replace(year=first_day.year + 1)
    except ValueError:
        # The period started on Feb 29: a year of calendar months ends on Feb 28, so the day
        # after it, the first long-term day, is Mar 1.
        anniversary = date(first_day.year + 1, 3, 1)
    return anniversary


def term(acquired: date, sold: date, holding_period_start: date | None = None) -> Term:
    """`"long"` when the lot was held more than one year on `sold`, else `"short"`.

    `holding_period_start`, when given, replaces `acquired` as the day counting starts after.
    Raises `ValueError` for a sale before the acquisition: that is bad data, not a short term.
    """
    if sold < acquired:
        raise ValueError(f"sold {sold} before it was acquired {acquired}")
    return LONG if sold >= long_term_from(acquired, holding_period_start) else SHORT


def days_held(acquired: date, sold: date, holding_period_start: date | None = None) -> int:
    """The days in the holding period on `sold`: the day after acquisition through `sold`.

    This is what a wash sale carries to the replacement shares (Publication 550: "your holding
    period for the new stock includes the holding period of the stock sold"), so the replacement
    lot's `holding_period_start` moves that many days before its own acquisition date.
    """
    if sold < acquired:
        raise ValueError(f"sold {sold} before it was acquired {acquired}")
    return (sold - _counting_from(acquired, holding_period_start)).days
