"""Orders from earlier days still open at the OMS, as the optimizer's OpenOrders: netted into
tonight's positions so that an account is not traded twice for the same drift."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from optimizer.core.inputs import OpenOrder, Side
from workflow.models import Order, OrderStatus

OPEN = (OrderStatus.RELEASED, OrderStatus.ACKNOWLEDGED, OrderStatus.PARTIALLY_FILLED)


def open_orders_by_account(account_ids: Sequence[int], *, as_of: date
                           ) -> dict[int, list[OpenOrder]]:
    """Account id → its open orders released for runs before `as_of`, the unfilled shares
    only; a sell names its lots (the filled shares taken from the first lots instructed)."""
    result: dict[int, list[OpenOrder]] = defaultdict(list)
    orders = (Order.objects.filter(account_id__in=list(account_ids), status__in=OPEN,
                                   batch__run__business_date__lt=as_of)
              .order_by("account_id", "pk")
              .values_list("account_id", "security_id", "side", "shares", "filled_shares",
                           "lot_instructions"))
    for account_id, security_id, side, shares, filled, lots in orders:
        if side == Side.SELL and lots:
            already = filled
            for lot in lots:
                lot_shares = Decimal(str(lot["shares"]))
                taken = min(already, lot_shares)
                already -= taken
                if lot_shares > taken:
                    result[account_id].append(OpenOrder(
                        security=str(security_id), side=Side.SELL,
                        shares=lot_shares - taken, lot_id=str(lot["lot_id"])))
        elif shares > filled:
            result[account_id].append(OpenOrder(security=str(security_id), side=Side(side),
                                                shares=shares - filled))
    return dict(result)
