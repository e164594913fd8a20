"""A small book for the impact preview: the committee's model book, two BAL60 accounts with
the same holdings (one with a $100 gain budget) and a CONS30 account, with prices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account
from accounts.services.settings import account_settings_update
from dataops.models import Price
from models_hub.services import allocation_propose
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests import data_factories as df
from tests.models_hub.factories import ModelBookRows, build_model_book

LONG_AGO = date(2020, 3, 2)
# BAL60 at $100 a share (VMFXX $1): $100,000 exactly on target.
HOLDINGS = {"IVV": [("L1", "200", "10000.00"), ("L2", "100", "9000.00")],
            "IJH": [("L3", "100", "8000.00")], "IJR": [("L4", "50", "4000.00")],
            "AGG": [("L5", "400", "41000.00")], "VNQ": [("L6", "100", "9500.00")],
            "VMFXX": [("L7", "5000", "5000.00")]}
PRICES = {"IVV": "100", "IJH": "100", "IJR": "100", "AGG": "100", "VNQ": "100", "VMFXX": "1",
          "VOO": "100", "VFIAX": "100", "VIMAX": "100", "VSMAX": "100", "VBTLX": "100",
          "VGSLX": "100"}
MID_OVERWEIGHT = {"EQ.US.LARGE": "0.27", "EQ.US.MID": "0.13", "EQ.US.SMALL": "0.05",
                  "FI.US.AGG": "0.40", "RE.US": "0.10", "CASH": "0.05"}


@dataclass
class ImpactBook:
    book: ModelBookRows
    accounts: dict[str, Account]


def _account(personas: Any, number: str, program: str) -> Account:
    return Account.objects.create(account_number=number, name=number,
                                  household=personas.household, program_code=program)


def build_impact_book(personas: Any) -> ImpactBook:
    book = build_model_book(personas)
    today = timezone.localdate()
    with firm_context(personas.firm), audit_context(system_job="tests"):
        prices = df.feed_file(name=f"prices_{today:%Y%m%d}.csv")
        for ticker, close in PRICES.items():
            Price.objects.create(security=book.securities[ticker], as_of_date=today,
                                 close=Decimal(close), feed_file=prices)
        lots_file = df.feed_file(name=f"tax_lots_{today:%Y%m%d}.csv")
        accounts = {"steady": _account(personas, "IMP-1", "BAL60"),
                    "budget": _account(personas, "IMP-2", "BAL60"),
                    "other": _account(personas, "IMP-3", "CONS30")}
        for account in accounts.values():
            df.snapshot(account, file=lots_file, lots=[
                df.Lot(book.securities[ticker], quantity, basis, LONG_AGO, lot_id)
                for ticker, lots in HOLDINGS.items() for lot_id, quantity, basis in lots])
    with firm_context(personas.firm):
        account_settings_update(account=accounts["budget"], changes={"annual_gain_budget": "100"},
                                reason="client keeps gains small", acting_user=personas.advisor)
    return ImpactBook(book, accounts)


def propose_mid_overweight(rows: ImpactBook) -> Any:
    book = rows.book
    return allocation_propose(code="BAL60", name="Balanced 60/40", risk_profile="moderate",
                              weights=book.weights(MID_OVERWEIGHT), reason="mid caps look cheap",
                              acting_user=book.ipc, allocation=book.allocations["BAL60"])
