"""Accounts with stored analyses and their tax-naive shadows, for the taxes-saved reports.

T-1 (taxable, the advisor's household; rates 37/20 federal, 5/5 state, NIIT 3.8: short-term
45.8%, long-term 28.8%; single):
  2025-03-03 tax-aware ST −12,000, LT +4,000; naive LT +4,000 (an earlier analysis the same
             day, superseded, says otherwise); 2025-06-02 no trades (no shadow);
  2026-02-02 tax-aware LT +6,000; naive LT +6,000; value 600,000.
  → the hand-computed case of tests/reports/test_taxes_saved_method.py: aware −1,086, naive
    2,880, saved 3,966 (0.66% of 600,000), deferred 3,456, permanently saved 510.
T-2 (an IRA in the other household): trades, saves nothing taxable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Account, TaxEntity
from accounts.services.settings import tax_entity_settings_update
from optimizer.models import Analysis
from rebal.audit import audit_context
from rebal.firm_context import firm_context

START, END = date(2025, 1, 1), date(2026, 12, 31)


@dataclass(frozen=True)
class TaxesSavedBook:
    taxable: Any
    ira: Any


def _metrics(*, st_gain: int = 0, st_loss: int = 0, lt_gain: int = 0, lt_loss: int = 0,
             tax: str = "0") -> dict[str, Any]:
    return {"turnover": 0.05, "bought": "0", "sold": "0", "short_term_gains": str(st_gain),
            "short_term_losses": str(st_loss), "long_term_gains": str(lt_gain),
            "long_term_losses": str(lt_loss), "estimated_tax": tax, "losses_harvested": "0",
            "trading_cost": "0", "cost_benefit_score": None}


def _analysis(account: Any, day: date, value: int, metrics: dict[str, Any],
              naive: tuple[int, int, str] | None) -> Analysis:
    st, lt, tax = naive if naive is not None else (None, None, None)
    return Analysis.objects.create(
        account=account, trade_date=day, status="trades", summary=f"{account} on {day}",
        before={"value": str(value)}, after={"value": str(value)}, trade_metrics=metrics,
        calibration={}, solver={"solver": "osqp", "status": "solved"},
        naive_short_term_gain=None if st is None else Decimal(st),
        naive_long_term_gain=None if lt is None else Decimal(lt),
        naive_estimated_tax=None if tax is None else Decimal(tax), naive_turnover=0.06)


def taxes_saved_book(personas: Any) -> TaxesSavedBook:
    with firm_context(personas.firm), audit_context(system_job="tests"):
        entity = TaxEntity.objects.create(code="TE-SMITH")
        tax_entity_settings_update(tax_entity=entity, changes={
            "state_short_term_rate": "5", "state_long_term_rate": "5",
            "filing_status": "single"}, reason="client's tax return", acting_user=personas.admin)
        taxable = Account.objects.create(account_number="T-1", name="Smith Taxable",
                                         household=personas.household, tax_entity=entity,
                                         advisor_email="advisor@alice.test")
        ira = Account.objects.create(account_number="T-2", name="Jones IRA",
                                     household=personas.other_household,
                                     tax_status=Account.TaxStatus.TAX_DEFERRED,
                                     advisor_email="other@alice.test")
        _analysis(taxable, date(2025, 3, 3), 490000, _metrics(st_gain=99999), (0, 0, "0"))
        _analysis(taxable, date(2025, 3, 3), 500000,
                  _metrics(st_loss=12000, lt_gain=4000, tax="-4344.00"), (0, 4000, "1152.00"))
        _analysis(taxable, date(2025, 6, 2), 550000, _metrics(), None)
        _analysis(taxable, date(2026, 2, 2), 600000, _metrics(lt_gain=6000, tax="1728.00"),
                  (0, 6000, "1728.00"))
        _analysis(ira, date(2025, 3, 3), 250000, _metrics(st_gain=5000), (8000, 0, "0.00"))
    return TaxesSavedBook(taxable=taxable, ira=ira)
