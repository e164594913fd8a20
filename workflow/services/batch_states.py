"""The trade batch and order state machines: the moves allowed, as tables. Every other move is
refused, whoever asks; the services call `batch_move` / `order_move` and nothing else sets a
status."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from workflow.models import BatchStatus, Order, OrderStatus, TradeBatch

B, OS = BatchStatus, OrderStatus

BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    B.PROPOSED: frozenset({B.PENDING_REVIEW, B.APPROVED}),  # approved: auto-trade, by policy
    B.PENDING_REVIEW: frozenset({B.APPROVED, B.REJECTED}),
    B.APPROVED: frozenset({B.RELEASED}),
    B.REJECTED: frozenset(),
    # After release the batch follows its orders (batch_status_from_orders).
    B.RELEASED: frozenset({B.ACKNOWLEDGED, B.PARTIALLY_FILLED, B.CANCELLED}),
    B.ACKNOWLEDGED: frozenset({B.PARTIALLY_FILLED, B.FILLED, B.CANCELLED}),
    B.PARTIALLY_FILLED: frozenset({B.FILLED}),
    B.FILLED: frozenset(),
    B.CANCELLED: frozenset(),
}

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.RELEASED: frozenset({OS.ACKNOWLEDGED, OS.CANCELLED}),
    OS.ACKNOWLEDGED: frozenset({OS.PARTIALLY_FILLED, OS.FILLED, OS.CANCELLED}),
    OS.PARTIALLY_FILLED: frozenset({OS.PARTIALLY_FILLED, OS.FILLED, OS.CANCELLED}),
    OS.FILLED: frozenset(),
    OS.CANCELLED: frozenset(),
}

# A batch may be edited (shares, lots, dropping trades) only before it is decided.
EDITABLE = frozenset({B.PROPOSED, B.PENDING_REVIEW})


class TransitionRefused(ValidationError):
    """A move the state table does not allow."""


def batch_move(batch: TradeBatch, to: str) -> None:
    """Set the batch's status to `to` if the table allows it (the caller saves)."""
    if to not in BATCH_TRANSITIONS[batch.status]:
        raise TransitionRefused(
            f"A {BatchStatus(batch.status).label.lower()} batch cannot become "
            f"{BatchStatus(to).label.lower()}.")
    batch.status = to


def order_move(order: Order, to: str) -> None:
    if to not in ORDER_TRANSITIONS[order.status]:
        raise TransitionRefused(
            f"Order {order.client_order_id} is {OrderStatus(order.status).label.lower()}; it "
            f"cannot become {OrderStatus(to).label.lower()}.")
    order.status = to


def batch_status_from_orders(statuses: list[tuple[str, Decimal]]) -> str:
    """A released batch's status from its orders' (status, filled shares): cancelled when every
    order was cancelled unfilled; filled when every order is filled; partially filled once
    anything filled; acknowledged when the OMS acknowledged every order; else released."""
    if all(status == OS.CANCELLED and filled == 0 for status, filled in statuses):
        return B.CANCELLED
    if all(status == OS.FILLED for status, _ in statuses):
        return B.FILLED
    if any(filled > 0 for _, filled in statuses):
        return B.PARTIALLY_FILLED
    if all(status != OS.RELEASED for status, _ in statuses):
        return B.ACKNOWLEDGED
    return B.RELEASED
