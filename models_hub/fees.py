"""Fee arithmetic, pure: annual fees from tiered basis-point schedules, and daily accruals.

A day accrues the annual fee on that day's assets divided by the days of its year (365, or 366
in a leap year), rounded half up to the cent; a month's bill is the sum of its days' accruals,
so the bill and the accruals agree to the cent by construction.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BPS = Decimal(10_000)


def annual_fee(assets: Decimal, tiers: Sequence[tuple[Decimal, Decimal]], method: str) -> Decimal:
    """The fee for a year on `assets`. `tiers` are (assets from, annual bps), the first from 0.

    "marginal": each tier's rate applies to the assets within it (like income-tax brackets);
    "whole": the rate of the highest tier reached applies to all the assets.
    """
    if assets < 0:
        raise ValueError("assets cannot be negative")
    ordered = sorted(tiers)
    if not ordered or ordered[0][0] != 0:
        raise ValueError("a fee schedule's first tier starts at 0")
    if method == "whole":
        rate = [bps for start, bps in ordered if start <= assets][-1]
        return assets * rate / BPS
    fee = Decimal(0)
    for index, (start, bps) in enumerate(ordered):
        if assets <= start:
            break
        end = ordered[index + 1][0] if index + 1 < len(ordered) else assets
        fee += (min(assets, end) - start) * bps / BPS
    return fee


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def daily_accrual(annual: Decimal, day: date) -> Decimal:
    """One day's share of an annual fee, in cents."""
    return (annual / days_in_year(day.year)).quantize(CENT, rounding=ROUND_HALF_UP)
