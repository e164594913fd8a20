"""The SEC Rule 204-2(a)(3) memorandum of an order, assembled from the rows that recorded it:
the order, its trade and batch, the analysis that recommended it and the TradeEvents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from workflow.models import EventKind, Order, TradeEvent

CHANGES = (EventKind.EDITED, EventKind.DROPPED, EventKind.CANCELLED)


@dataclass(frozen=True)
class Memorandum:
    client_order_id: str
    terms: dict[str, Any]  # side, shares, security, limit price, lot instructions
    account: str
    entered_at: datetime
    recommended_by: dict[str, Any]  # the analysis (record) and the account's advisor
    approved_by: str
    placed_by: str
    executing_broker: str
    discretionary: bool
    changes: list[dict[str, Any]]  # edits and cancellations: when, who, why, what
    fills: list[dict[str, Any]]
    status: str

    def missing(self) -> list[str]:
        """The parts of the memorandum a regulator would find empty."""
        required = {"terms": self.terms, "account": self.account,
                    "entered_at": self.entered_at, "analysis": self.recommended_by.get(
                        "analysis"), "approved_by": self.approved_by,
                    "placed_by": self.placed_by, "executing_broker": self.executing_broker}
        return [name for name, value in required.items() if not value]


def _change(event: TradeEvent) -> dict[str, Any]:
    return {"at": event.created_at, "kind": event.kind, "by": event.actor_label,
            "reason": event.reason, "details": event.details}


def order_memorandum(order: Order) -> Memorandum:
    order = Order.objects.select_related(
        "account", "security", "trade__analysis", "trade__proposed_trade", "batch__approved_by",
        "batch__approval_policy_approved_by", "batch__released_by").get(pk=order.pk)
    batch, trade, account = order.batch, order.trade, order.account
    events = list(TradeEvent.objects.filter(trade=trade, kind__in=CHANGES)
                  .select_related("actor_user", "actor_token").order_by("created_at", "pk"))
    placed = TradeEvent.objects.filter(order=order, kind=EventKind.RELEASED).select_related(
        "actor_user").first()
    return Memorandum(
        client_order_id=order.client_order_id,
        terms={"side": order.side, "shares": order.shares, "security": str(order.security),
               "ticker": order.security.ticker, "cusip": order.security.cusip,
               "limit_price": order.limit_price, "lot_instructions": order.lot_instructions,
               "proposed_shares": Decimal(str(trade.proposed_trade.shares))},
        account=f"{account.account_number} {account.name}",
        entered_at=order.released_at,
        recommended_by={"analysis": trade.analysis_id,
                        "analysis_date": trade.analysis.trade_date,
                        "advisor": account.advisor_email},
        approved_by=batch.approval_label,
        placed_by=placed.actor_label if placed else "",
        executing_broker=order.broker,
        discretionary=order.discretionary,
        changes=[_change(e) for e in events],
        fills=list(order.fills.values("execution_id", "shares", "price", "executed_at",
                                      "broker")),
        status=order.status)
