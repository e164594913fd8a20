"""A sorted run over the filter book (tests.workflow.filter_book) with proposed trades:

    account  disposition           discretionary  trades (price)
    F-1      review                yes            sell IBM 20 (lot L1) @200, buy MSFT 40 @100
    F-3      review                no             sell MSFT 30 (lot L2) @100, buy AAPL 30 @100
    F-6      auto-trade (policy)   yes            sell AAPL 10 (lot L1) @100, buy IBM 5 @200

Cash: F-1 1000, F-3 0, F-6 0, so every account ends with the cash it had. The auto-trade
policy was approved by the firm admin. F-2 and F-4 are suspended (no batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dataops.models import Security
from optimizer.models import Analysis, ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.workflow.filter_book import AS_OF, FilterBook, filter_book
from workflow.models import AccountDisposition, DispositionPolicy, NightlyRun, RunAccount

PRICES = {"IBM": Decimal(200), "AAPL": Decimal(100), "MSFT": Decimal(100)}
TRADES = {"F-1": [("sell", "IBM", 20, "L1"), ("buy", "MSFT", 40, "")],
          "F-3": [("sell", "MSFT", 30, "L2"), ("buy", "AAPL", 30, "")],
          "F-6": [("sell", "AAPL", 10, "L1"), ("buy", "IBM", 5, "")]}


@dataclass
class TradeBook:
    book: FilterBook
    run: NightlyRun
    policy: DispositionPolicy
    securities: dict[str, Security]

    @property
    def firm(self) -> Any:
        return self.book.firm

    def account(self, number: str) -> Any:
        return self.book.accounts[number]


def trade_book(personas: Any, *,
               gains: dict[tuple[str, str], tuple[Decimal, Decimal]] | None = None) -> TradeBook:
    """The book above; `gains` gives (account, ticker) trades a realized gain and estimated tax
    other than zero."""
    book = filter_book(personas)
    with firm_context(book.firm), audit_context(system_job="tests"):
        securities = {s.ticker: s for s in Security.objects.filter(ticker__in=PRICES)}
        policy = DispositionPolicy.objects.create(
            name="Routine", target="auto_trade", query={"all": []}, version=3,
            approved_by=personas.admin, approved_at=timezone.now())
        run = NightlyRun.objects.create(business_date=AS_OF, trigger="tests",
                                        status=NightlyRun.Status.SUCCEEDED)
        sorted_as = {"F-1": ("review", None), "F-3": ("review", None),
                     "F-6": ("auto_trade", policy), "F-2": ("suspend", None),
                     "F-4": ("suspend", None)}
        for number, (disposition, rule_policy) in sorted_as.items():
            account = book.accounts[number]
            analysis = Analysis.objects.filter(account=account, trade_date=AS_OF).get()
            RunAccount.objects.create(run=run, account=account, status="analyzed",
                                      analysis=analysis)
            AccountDisposition.objects.create(
                run=run, account=account, disposition=disposition, policy=rule_policy,
                policy_version=rule_policy.version if rule_policy else None,
                rule=rule_policy.rule_label if rule_policy else f"{disposition} by tests")
            for side, ticker, shares, lot in TRADES.get(number, []):
                price = PRICES[ticker]
                gain, tax = (gains or {}).get((number, ticker), (Decimal(0), Decimal(0)))
                ProposedTrade.objects.create(
                    analysis=analysis, security=securities[ticker], side=side,
                    shares=Decimal(shares), price=price, value=price * shares,
                    lots=[{"lot_id": lot, "acquired": "2024-01-02", "term": "long",
                           "shares": str(shares)}] if lot else [],
                    realized_gain=gain, estimated_tax=tax, reasons=["drift"],
                    explanation=f"{side} {ticker}")
    return TradeBook(book, run, policy, securities)
