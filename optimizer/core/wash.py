"""Tonight's proposals in a tax entity's other accounts, added to its wash-sale windows.

The accounts of one tax entity are solved in sequence. What an earlier account proposes tonight
reaches the later ones through their windows (IRC §1091, counted across the entity's accounts):
- a proposed **buy** of a group, in any of the entity's accounts (tax-exempt and tax-deferred
  ones too), would wash a loss sale of that group in a taxable account within 30 days: loss
  sales of the group are blocked through trade date + 30;
- a proposed **loss sale** in a *taxable* account would be washed by a buy of the group within
  30 days in any account: buys of the group are blocked through trade date + 30. A tax-exempt or
  tax-deferred account's own sales are never wash sales, so they block nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from optimizer.core.inputs import Side, WashWindow
from optimizer.core.outputs import ProposedTrade

WINDOW_DAYS = 30


@dataclass(frozen=True)
class SiblingTrade:
    """A trade proposed tonight in another account of the same tax entity."""

    account: str
    taxable: bool
    security: str
    side: Side
    sells_at_loss: bool = False  # a sale relieving at least one lot at a loss


def _latest(one: date | None, two: date) -> date:
    return two if one is None or two > one else one


def windows_with_proposals(windows: Sequence[WashWindow], trades: Iterable[SiblingTrade],
                           wash_keys: Mapping[str, str], trade_date: date
                           ) -> tuple[WashWindow, ...]:
    """`windows` with the blocks that `trades` (tonight's, in the entity's other accounts) open.

    `wash_keys` maps a security to the key its substantially identical securities meet under
    (`Security.wash_key`: its identical group, or itself); one missing there is its own key.
    A proposed buy moves the lot-specific dates too (another lot's purchase washes any lot's
    loss); `opened_by` names what sets the buy block.
    """
    merged = {window.key: window for window in windows}
    until = trade_date + timedelta(days=WINDOW_DAYS)
    for trade in trades:
        key = wash_keys.get(trade.security, trade.security)
        window = merged.get(key, WashWindow(key=key))
        if trade.side == Side.BUY:
            window = replace(
                window, loss_sale_blocked_until=_latest(window.loss_sale_blocked_until, until),
                lot_loss_sale_blocked_until={
                    lot: _latest(day, until) for lot, day in
                    window.lot_loss_sale_blocked_until.items()})
        elif trade.taxable and trade.sells_at_loss:
            window = replace(
                window, buy_blocked_until=_latest(window.buy_blocked_until, until),
                opened_by=f"account {trade.account} (selling at a loss tonight)"
                if window.buy_blocked_until is None or until >= window.buy_blocked_until
                else window.opened_by)
        else:
            continue
        merged[key] = window
    return tuple(merged[key] for key in sorted(merged))


def sibling_trades(account: str, taxable: bool, trades: Iterable[ProposedTrade]
                   ) -> list[SiblingTrade]:
    """An account's proposed trades as the entity's later accounts see them."""
    return [SiblingTrade(account=account, taxable=taxable, security=trade.security,
                         side=trade.side, sells_at_loss=any(lot.gain < 0 for lot in trade.lots))
            for trade in trades]
