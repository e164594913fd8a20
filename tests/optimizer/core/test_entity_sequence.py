"""The accounts of one tax entity solved in sequence: each sees what the earlier ones propose
tonight through its wash-sale windows (optimizer.core.wash)."""

from __future__ import annotations

from datetime import date, timedelta

from optimizer.core.inputs import Settings, Side, TaxSensitivity, TaxStatus, WashWindow
from optimizer.core.outputs import ReasonCode
from optimizer.core.wash import SiblingTrade, sibling_trades, windows_with_proposals
from tests.optimizer.core.builders import SECURITIES, TRADE_DATE, run, trade, trades_of
from tests.optimizer.core.test_scenarios import GOAL, OLD, balanced, lot

WASH_KEYS = {key: security.wash_key for key, security in SECURITIES.items()}
HARVEST = Settings(tax_sensitivity=TaxSensitivity.MEDIUM)


def test_a_loss_harvested_in_one_account_blocks_the_buy_in_the_next():
    # Account A sells SPY at a $66,700 loss tonight; the IRA of the same person has $250,000
    # to put into the S&P sleeve and would buy SPY if it did not know.
    taxable = balanced({"SPY": [lot("SPY", 667, 700, date(2026, 1, 15))]})
    ira = balanced({"SPY": [lot("SPY", 334, 420, OLD)]}, cash=250_000,
                   status=TaxStatus.TAX_DEFERRED)

    first = run(taxable, GOAL, HARVEST)
    assert trade(first, "SPY", "sell").realized_gain < 0
    windows = windows_with_proposals((), sibling_trades("A-1", True, first.trades),
                                     WASH_KEYS, TRADE_DATE)
    alone = run(ira, GOAL, HARVEST)
    second = run(ira, GOAL, HARVEST, wash_windows=windows)

    assert trade(alone, "SPY", "buy").shares > 300
    assert ("SPY", "buy") not in trades_of(second)
    buy = trade(second, "IVV", "buy")
    assert ReasonCode.SUBSTITUTE in buy.reasons
    assert (f"opened by account A-1 (selling at a loss tonight) blocks through "
            f"{TRADE_DATE + timedelta(days=30):%Y-%m-%d}") in buy.explanation


def test_a_buy_in_one_account_blocks_loss_sales_in_the_next_and_exempt_sales_block_nothing():
    windows = windows_with_proposals(
        [WashWindow(key="MSFT", lot_loss_sale_blocked_until={"MSFT-old": None})],
        [SiblingTrade(account="IRA-1", taxable=False, security="MSFT", side=Side.BUY),
         SiblingTrade(account="IRA-1", taxable=False, security="XOM", side=Side.SELL,
                      sells_at_loss=True),
         SiblingTrade(account="T-2", taxable=True, security="JPM", side=Side.SELL,
                      sells_at_loss=False)],
        WASH_KEYS, TRADE_DATE)
    until = TRADE_DATE + timedelta(days=30)

    assert [window.key for window in windows] == ["MSFT"]
    (msft,) = windows
    assert msft.loss_sale_blocked_until == until
    assert msft.loss_sale_blocked_until_for("MSFT-old") == until  # another lot's purchase
    assert msft.buy_blocked_until is None


def test_an_earlier_block_is_kept_when_tonight_opens_a_shorter_one():
    later = TRADE_DATE + timedelta(days=40)
    windows = windows_with_proposals(
        [WashWindow(key="SPY", buy_blocked_until=later, opened_by="a sale on 2026-12-01")],
        [SiblingTrade(account="A-1", taxable=True, security="IVV", side=Side.SELL,
                      sells_at_loss=True)],
        {"SPY": "SPY", "IVV": "IVV"}, TRADE_DATE)

    by_key = {window.key: window for window in windows}
    assert by_key["SPY"].buy_blocked_until == later
    assert by_key["SPY"].opened_by == "a sale on 2026-12-01"
    assert by_key["IVV"].buy_blocked_until == TRADE_DATE + timedelta(days=30)
