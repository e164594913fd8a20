"""A small book whose every filter count can be worked out by hand (see the table below).

    account  status         disc  tier      aum(x)   holdings (price)                  cash  hold
    F-1      open           yes   Platinum  900000   IBM 100x200, AAPL 10x100          1000  -
    F-2      open           yes   Gold      300000   AAPL 100x100, MSFT 100x100        0     -
    F-3      open           no    Platinum  1500000  IBM 10x200, MSFT 180x100          0     data
    F-4      pending_close  yes   Silver    50000    MSFT 10x100 (IBM the day before)  9000  -
    F-5      open           yes   -         -        (no lots)                         5000  susp.
    F-6      open           yes   Gold      250000   AAPL 50x100, MSFT 50x100, IBM 25x200  0 -

Largest position of holdings value: F-1 20000/22000 = 90.9%, F-2 50%, F-3 18000/20000 = 90%,
F-4 1000/10000 = 10%, F-5 none (0 of 5000), F-6 5000/15000 = 33.3%.

Latest analyses (older ones that say otherwise sit beside F-1 and F-2):
    account  market value  turnover  estimated tax  tracking error  drift (largest)
    F-1      22000         3%        100            1.0%            4%
    F-2      20000         12%       2000           3.0%            10%
    F-3      20000         6%        6000           2.0%            2%
    F-4      10000         0%        0              0.5%            1%
    F-6      15000         8%        -300           4.0%            7%
F-5 has no analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accounts.models import Account, CustomField, Household
from dataops.models import Price
from optimizer.models import Analysis
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.data_factories import Lot, feed_file, hold, security, snapshot

AS_OF = date(2026, 11, 24)


@dataclass
class FilterBook:
    firm: Any
    accounts: dict[str, Account]
    household: Household


def _metrics(value: int, tracking_error: float, drift: float) -> dict[str, Any]:
    return {"value": str(value), "cash": "0", "tracking_error": tracking_error,
            "drift": [{"asset_class": "EQ", "weight": 0.6 + drift, "target": 0.6},
                      {"asset_class": "FI", "weight": 0.4 - drift / 2, "target": 0.4}]}


def _trade_metrics(turnover: float, tax: int) -> dict[str, Any]:
    gains = max(tax, 0) * 4
    return {"turnover": turnover, "bought": "0", "sold": "0",
            "short_term_gains": "0", "short_term_losses": "0",
            "long_term_gains": str(gains), "long_term_losses": "0",
            "estimated_tax": str(tax), "losses_harvested": "0", "trading_cost": "0",
            "cost_benefit_score": None}


def analysis(account: Account, *, day: date, value: int, turnover: float, tax: int,
             tracking_error: float, drift: float) -> Analysis:
    return Analysis.objects.create(
        account=account, trade_date=day, status="optimal", summary="", before=_metrics(
            value, tracking_error, drift), after=_metrics(value, tracking_error / 2, drift / 2),
        trade_metrics=_trade_metrics(turnover, tax), calibration={}, solver={})


def filter_book(personas: Any) -> FilterBook:
    firm = personas.firm
    with firm_context(firm), audit_context(system_job="tests"):
        CustomField.objects.create(name="tier", field_type="text")
        CustomField.objects.create(name="aum", field_type="number")
        household = Household.objects.create(code="F-HH", name="Filter Household")
        rows = [("F-1", "open", True, {"tier": "Platinum", "aum": "900000"}),
                ("F-2", "open", True, {"tier": "Gold", "aum": "300000"}),
                ("F-3", "open", False, {"tier": "Platinum", "aum": "1500000"}),
                ("F-4", "pending_close", True, {"tier": "Silver", "aum": "50000"}),
                ("F-5", "open", True, {}),
                ("F-6", "open", True, {"tier": "Gold", "aum": "250000"})]
        accounts = {number: Account.objects.create(
            account_number=number, name=f"Account {number}", household=household,
            status=status, discretionary=discretionary, custom_fields=custom)
            for number, status, discretionary, custom in rows}
        ibm, aapl, msft = (security(ticker=t) for t in ("IBM", "AAPL", "MSFT"))
        prices = feed_file(name=f"prices_{AS_OF:%Y%m%d}.csv")
        for sec, close in ((ibm, "200"), (aapl, "100"), (msft, "100")):
            Price.objects.create(security=sec, as_of_date=AS_OF, close=Decimal(close),
                                 feed_file=prices)
            # An older price that the filter must not use.
            Price.objects.create(security=sec, as_of_date=AS_OF - timedelta(days=1),
                                 close=Decimal(close) * 3, feed_file=prices)
        lots = feed_file(name=f"tax_lots_{AS_OF:%Y%m%d}.csv")
        old_lots = feed_file(name=f"tax_lots_{AS_OF - timedelta(days=1):%Y%m%d}.csv")
        bought = date(2024, 1, 2)
        # An older snapshot of F-4 that held IBM: the filter reads only the newest.
        snapshot(accounts["F-4"], file=old_lots, lots=[Lot(ibm, "500", "1000", bought)])
        holdings = {
            "F-1": ([Lot(ibm, "100", "1", bought), Lot(aapl, "10", "1", bought, "L2")], "1000"),
            "F-2": ([Lot(aapl, "100", "1", bought), Lot(msft, "100", "1", bought, "L2")], "0"),
            "F-3": ([Lot(ibm, "10", "1", bought), Lot(msft, "100", "1", bought, "L2"),
                     Lot(msft, "80", "1", bought, "L3")], "0"),
            "F-4": ([Lot(msft, "10", "1", bought)], "9000"),
            "F-5": ([], "5000"),
            "F-6": ([Lot(aapl, "50", "1", bought), Lot(msft, "50", "1", bought, "L2"),
                     Lot(ibm, "25", "1", bought, "L3")], "0"),
        }
        for number, (account_lots, cash) in holdings.items():
            snapshot(accounts[number], file=lots, lots=account_lots, cash=cash)
        hold(accounts["F-3"], reason="bad lot row", source="feed:tax_lots")
        hold(accounts["F-5"], reason="client asked", source="user:1", kind="suspension")
        latest = {"F-1": (22000, 0.03, 100, 0.01, 0.04), "F-2": (20000, 0.12, 2000, 0.03, 0.10),
                  "F-3": (20000, 0.06, 6000, 0.02, 0.02), "F-4": (10000, 0.0, 0, 0.005, 0.01),
                  "F-6": (15000, 0.08, -300, 0.04, 0.07)}
        for number, (value, turnover, tax, te, drift) in latest.items():
            analysis(accounts[number], day=AS_OF, value=value, turnover=turnover, tax=tax,
                     tracking_error=te, drift=drift)
        for number in ("F-1", "F-2"):  # older analyses that would match other filters
            analysis(accounts[number], day=AS_OF - timedelta(days=1), value=5_000_000,
                     turnover=0.5, tax=99999, tracking_error=0.2, drift=0.3)
    return FilterBook(firm, accounts, household)
