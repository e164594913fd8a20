"""Scenarios with expected outcomes: each sets up one situation a tax-aware rebalancer meets and
checks what the analysis proposes and says. No database: the core is pure."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from optimizer.core.inputs import (
    OpenOrder,
    RestrictedPolicy,
    Settings,
    Side,
    TaxSensitivity,
    TaxStatus,
    Tracking,
    WashWindow,
)
from optimizer.core.outputs import AnalysisStatus, ReasonCode
from optimizer.core.relaxation import Limit
from tests.optimizer.core.builders import (
    RATES,
    TRADE_DATE,
    account,
    lot,
    price,
    run,
    target,
    trade,
    trades_of,
)

OLD = date(2020, 3, 4)
RECENT = date(2026, 6, 15)
# A balanced $1M book: SPY stands for the S&P 500 sleeve, one equivalence set with IVV and VOO.
WEIGHTS = {"SPY": 0.40, "XOM": 0.06, "CVX": 0.06, "AAPL": 0.10, "MSFT": 0.10, "JPM": 0.08,
           "BAC": 0.06, "VNQ": 0.05, "PLD": 0.04}
GOAL = target(WEIGHTS)


def balanced(overrides: dict[str, list] | None = None, *, cash: int | None = None,
             status: TaxStatus = TaxStatus.TAXABLE):
    """The book on target, every position one old lot at a 30% gain, unless overridden with a
    list of lots for a symbol."""
    overrides = overrides or {}
    lots = []
    invested = Decimal(0)
    for symbol, weight in WEIGHTS.items():
        chosen = overrides.get(symbol)
        if chosen is None:
            shares = round(1_000_000 * weight / float(price(symbol)))
            chosen = [lot(symbol, shares, float(price(symbol)) * 0.7, OLD)]
        lots.extend(chosen)
        invested += sum((item.quantity * price(symbol) for item in chosen), Decimal(0))
    return account(lots, cash=cash if cash is not None else int(1_000_000 - invested),
                   status=status)


def realized(analysis) -> Decimal:
    return sum((trade.realized_gain for trade in analysis.trades), Decimal(0))


def test_inside_the_bands_nothing_trades():
    analysis = run(balanced(), GOAL)

    assert analysis.status == AnalysisStatus.NO_TRADES
    assert analysis.trades == ()
    assert analysis.summary.startswith("Inside its bands")
    assert analysis.before.tracking_error < 0.001
    assert analysis.solver.solves == 0  # not even solved: nothing to do


def test_harvests_a_loss_and_holds_an_equivalent_instead():
    # SPY bought this year at 700, now 600: a $66,700 short-term loss on 667 shares.
    snapshot = balanced({"SPY": [lot("SPY", 667, 700, date(2026, 1, 15))]})

    analysis = run(snapshot, GOAL, Settings(tax_sensitivity=TaxSensitivity.MEDIUM))

    sale = trade(analysis, "SPY", "sell")
    assert sale.shares == 667
    assert sale.reasons[0] == ReasonCode.HARVEST_LOSS
    assert sale.realized_gain == Decimal("-66700.00")
    assert "to harvest a $66,700 short-term loss; bought" in sale.explanation
    replacement = trade(analysis, "IVV", "buy")  # the IPC's next choice, not VOO
    assert ReasonCode.REPLACE_HARVESTED in replacement.reasons
    assert replacement.value == pytest.approx(Decimal(400_200), rel=Decimal("0.01"))
    assert ("SPY", "buy") not in trades_of(analysis)  # buying it back would wash the loss
    assert ("VOO", "buy") not in trades_of(analysis)
    assert analysis.trade_metrics.losses_harvested == Decimal("66700.00")
    assert analysis.trade_metrics.estimated_tax == pytest.approx(Decimal("-27213.60"))
    assert analysis.after.tracking_error < 0.001  # IVV tracks as SPY did


def test_a_binding_gain_budget_caps_the_net_gain():
    # Tight tracking. XOM is 9% against 6%, bought at 40: every share sold gains $70; CVX is
    # 4% against 6%, so Energy as a whole is inside its ±1.5% band.
    drifted = {"XOM": [lot("XOM", 818, 40, OLD)], "CVX": [lot("CVX", 267, 100, OLD)]}
    snapshot = balanced(drifted, cash=20_000)
    tight = Settings(tax_sensitivity=TaxSensitivity.LOW, tracking=Tracking.TIGHT)
    relaxed = run(snapshot, GOAL, tight)
    budgeted = run(snapshot, GOAL, replace(tight, gain_budget_remaining=Decimal(5000)))

    assert realized(relaxed) > Decimal(20_000)
    assert Decimal(0) < realized(budgeted) <= Decimal("5000.01")
    assert realized(budgeted) > Decimal(4_900)  # the budget is used, not left idle
    sale = trade(budgeted, "XOM", "sell")
    assert ReasonCode.GAIN_BUDGET in sale.reasons
    assert "the annual gain budget limits how much more can be sold" in sale.explanation
    assert budgeted.relaxations == ()


def test_raises_50000_of_cash_at_the_least_tax():
    # Each holding has an old cheap lot (big gains) and a recent lot near or under water.
    lots = {}
    for symbol, weight in WEIGHTS.items():
        value = 990_000 * weight / 0.95  # fully invested: 1% cash against the model's 5%
        current = float(price(symbol))
        old_shares = round(value * 0.6 / current)
        new_shares = round(value * 0.4 / current)
        lots[symbol] = [lot(symbol, old_shares, current * 0.4, OLD, f"{symbol}-old"),
                        lot(symbol, new_shares, current * 1.05, RECENT, f"{symbol}-new")]
    snapshot = balanced(lots)
    assert snapshot.cash < 11_000

    analysis = run(snapshot, GOAL, Settings(cash_to_raise=Decimal(50_000),
                                            tax_sensitivity=TaxSensitivity.MEDIUM))

    assert analysis.after.cash >= Decimal(50_000)
    sales = [item for item in analysis.trades if item.side == Side.SELL]
    relieved = {relief.lot_id for sale in sales for relief in sale.lots}
    assert relieved and all(lot_id.endswith("-new") for lot_id in relieved)
    assert analysis.trade_metrics.estimated_tax < 0  # only losses realized
    assert all(sale.reasons[0] == ReasonCode.RAISE_CASH for sale in sales)
    assert all("to raise the $50,000 of cash requested" in sale.explanation for sale in sales)
    # Whatever is bought back only swaps a harvested loss into its equivalent.
    assert {item.symbol for item in analysis.trades if item.side == Side.BUY} <= {"IVV"}


def test_a_restricted_holding_is_sold_down():
    snapshot = balanced({"XOM": [lot("XOM", 300, 90, OLD, "XOM-a"),
                                 lot("XOM", 245, 130, RECENT, "XOM-b")]})

    analysis = run(snapshot, GOAL, Settings(restricted=frozenset({"XOM"})))

    sale = trade(analysis, "XOM", "sell")
    assert sale.shares == 545
    assert {relief.lot_id for relief in sale.lots} == {"XOM-a", "XOM-b"}
    assert sale.reasons[0] == ReasonCode.RESTRICTED
    assert sale.explanation.startswith("Sold all 545 XOM from the 2020-03-04 and 2026-06-15 "
                                       "lots because XOM is restricted")
    assert ("XOM", "buy") not in trades_of(analysis)
    # Energy is kept on target with what may be held.
    assert trade(analysis, "CVX", "buy").shares > 0


def test_a_restricted_holding_under_the_no_buys_policy_is_kept_but_never_bought():
    snapshot = balanced({"XOM": [lot("XOM", 200, 90, OLD)]})  # underweight

    analysis = run(snapshot, GOAL, Settings(restricted=frozenset({"XOM"}),
                                            restricted_policy=RestrictedPolicy.NO_BUYS))

    assert ("XOM", "buy") not in trades_of(analysis)
    assert ("XOM", "sell") not in trades_of(analysis)


def test_an_excluded_asset_class_goes_to_zero():
    analysis = run(balanced(), GOAL,
                   Settings(excluded_asset_classes=frozenset({"Real Estate"})))

    for symbol in ("VNQ", "PLD"):
        sale = trade(analysis, symbol, "sell")
        assert sale.reasons[0] == ReasonCode.EXCLUDED_ASSET_CLASS
        assert "because Real Estate is excluded" in sale.explanation
    drift = {item.asset_class: item for item in analysis.after.drift}
    assert drift["Real Estate"].weight == 0 and drift["Real Estate"].target == 0
    assert not [item for item in analysis.trades
                if item.side == Side.BUY and item.asset_class == "Real Estate"]
    # The 9% freed is redistributed pro rata over the rest of the target.
    assert drift["Energy"].target == pytest.approx(0.12 * 0.95 / 0.86, rel=1e-9)


def test_a_tax_exempt_account_ignores_taxes():
    overweight = {"XOM": [lot("XOM", 900, 20, OLD, "XOM-cheap"),
                          lot("XOM", 555, 60, OLD + timedelta(days=400), "XOM-dear")]}
    taxable = run(balanced(overweight, cash=0), GOAL,
                  Settings(tax_sensitivity=TaxSensitivity.MAXIMUM))
    exempt = run(balanced(overweight, cash=0, status=TaxStatus.TAX_EXEMPT), GOAL,
                 Settings(tax_sensitivity=TaxSensitivity.MAXIMUM))

    exempt_sale = trade(exempt, "XOM", "sell")
    remaining = (1455 - exempt_sale.shares) * price("XOM") / exempt.before.value
    assert remaining == pytest.approx(Decimal("0.06"), abs=Decimal("0.003"))  # back to target
    assert exempt.trade_metrics.estimated_tax == 0
    assert exempt.trade_metrics.long_term_gains == 0
    # Lots chosen highest-cost first when taxes do not tell them apart.
    assert exempt_sale.lots[0].lot_id == "XOM-dear" and exempt_sale.lots[0].shares == 555
    taxable_sold = sum((item.shares for item in taxable.trades
                        if item.symbol == "XOM" and item.side == Side.SELL), Decimal(0))
    assert taxable_sold < exempt_sale.shares


def test_a_wash_sale_window_from_another_account_blocks_the_buy():
    # The entity's other account sold SPY at a loss on 2026-11-20: no SPY anywhere until
    # 2026-12-20. This account has $200,000 of spare cash to put into the S&P sleeve.
    snapshot = balanced({"SPY": [lot("SPY", 334, 420, OLD)]}, cash=250_000)
    window = WashWindow(key="SPY", buy_blocked_until=date(2026, 12, 20),
                        opened_by="account B-7 (sold SPY at a loss on 2026-11-20)")

    blocked = run(snapshot, GOAL, wash_windows=[window])
    free = run(snapshot, GOAL)

    assert trade(free, "SPY", "buy").shares > 300
    assert ("SPY", "buy") not in trades_of(blocked)
    buy = trade(blocked, "IVV", "buy")
    assert ReasonCode.SUBSTITUTE in buy.reasons
    assert ("instead of SPY, which a wash-sale window opened by account B-7 (sold SPY at a "
            "loss on 2026-11-20) blocks through 2026-12-20") in buy.explanation
    # The day after the window closes, SPY may be bought again.
    after = run(snapshot, GOAL, wash_windows=[window], trade_date=date(2026, 12, 21))
    assert trade(after, "SPY", "buy").shares > 300


def test_a_wash_sale_window_blocks_a_loss_sale_but_not_a_gain():
    # MSFT bought 10 days ago at a loss: selling it at a loss now would be washed by that
    # purchase. The old MSFT lot is at a gain and may be sold.
    msft = [lot("MSFT", 150, 250, OLD, "MSFT-old"),
            lot("MSFT", 200, 460, TRADE_DATE - timedelta(days=10), "MSFT-new")]
    snapshot = balanced({"MSFT": msft}, cash=10_000)  # 14% against 10%
    window = WashWindow(key="MSFT", loss_sale_blocked_until=TRADE_DATE + timedelta(days=20),
                        lot_loss_sale_blocked_until={"MSFT-old": None})
    settings = Settings(tax_sensitivity=TaxSensitivity.LOW)

    free = run(snapshot, GOAL, settings)
    blocked = run(snapshot, GOAL, settings, wash_windows=[window])

    assert "MSFT-new" in {relief.lot_id for relief in trade(free, "MSFT", "sell").lots}
    sale = trade(blocked, "MSFT", "sell")
    assert {relief.lot_id for relief in sale.lots} == {"MSFT-old"}


@pytest.mark.parametrize(("trade_date", "term", "rate"), [
    (date(2026, 11, 24), "short", RATES.short_term),  # exactly one year: short-term
    (date(2026, 11, 25), "long", RATES.long_term),  # one day more: long-term
])
def test_a_lot_held_exactly_one_year_is_short_term(trade_date, term, rate):
    snapshot = balanced({"XOM": [lot("XOM", 545, 80, date(2025, 11, 24))]})

    analysis = run(snapshot, GOAL, Settings(restricted=frozenset({"XOM"})),
                   trade_date=trade_date)

    sale = trade(analysis, "XOM", "sell")
    assert [relief.term.value for relief in sale.lots] == [term]
    assert sale.realized_gain == Decimal("16350.00")  # 545 × (110 − 80)
    assert sale.estimated_tax == (Decimal("16350.00") * Decimal(str(rate))).quantize(
        Decimal("0.01"))


def test_an_open_order_is_not_traded_again():
    # CVX is 2% against 6%; an order from yesterday for 270 shares (4%) is still open.
    snapshot = balanced({"CVX": [lot("CVX", 130, 100, OLD)]}, cash=100_000)
    order = OpenOrder(security="CVX", side=Side.BUY, shares=Decimal(270))

    without = run(snapshot, GOAL)
    netted = run(snapshot, GOAL, open_orders=[order])

    assert trade(without, "CVX", "buy").shares >= 250
    assert ("CVX", "buy") not in trades_of(netted) and ("CVX", "sell") not in trades_of(netted)
    drift = {item.asset_class: item for item in netted.before.drift}
    energy = (545 * price("XOM") + 400 * price("CVX")) / netted.before.value
    assert drift["Energy"].weight == pytest.approx(float(energy), rel=1e-9)  # the order counts
    assert netted.before.cash == without.before.cash - 270 * price("CVX")


def test_an_open_sell_order_relieves_its_lot_and_is_not_repeated():
    snapshot = balanced({"XOM": [lot("XOM", 300, 90, OLD, "XOM-a"),
                                 lot("XOM", 245, 130, RECENT, "XOM-b")]})
    order = OpenOrder(security="XOM", side=Side.SELL, shares=Decimal(245), lot_id="XOM-b")

    analysis = run(snapshot, GOAL, Settings(restricted=frozenset({"XOM"})),
                   open_orders=[order])

    assert ("XOM", "sell") not in trades_of(analysis)
    assert any("XOM" in note and "still open" in note for note in analysis.notes)


def test_conflicting_settings_relax_the_turnover_cap_and_say_why():
    analysis = run(balanced(), GOAL, Settings(restricted=frozenset({"XOM"}),
                                              turnover_cap=0.01))

    assert analysis.status == AnalysisStatus.RELAXED
    assert [item.limit for item in analysis.relaxations] == [Limit.TURNOVER_CAP]
    relaxation = analysis.relaxations[0]
    assert relaxation.before == 0.01
    # Selling XOM (6%) leaves Energy 6% under target, 3% outside its band: at least 3% of CVX
    # must be bought, so the least turnover is (6% + 3%) / 2.
    assert relaxation.after == pytest.approx(0.045 + 0.0001, abs=0.0002)  # + a basis point
    assert relaxation.text == ("The turnover cap of 1.0% was raised to 4.5%: selling the "
                               "restricted XOM needs at least that much turnover.")
    assert trade(analysis, "XOM", "sell").shares == 545


def test_a_gain_budget_that_a_forced_sale_breaks_is_relaxed_next():
    analysis = run(balanced(), GOAL, Settings(restricted=frozenset({"XOM"}),
                                              gain_budget_remaining=Decimal(0)))

    assert [item.limit for item in analysis.relaxations] == [Limit.GAIN_BUDGET]
    text = analysis.relaxations[0].text
    # XOM's gain is $17,985; the relaxed budget leaves a basis point of room ($100).
    assert text.startswith("The remaining annual gain budget of $0 was raised to $18,085: "
                           "selling the restricted XOM realizes at least that much net gain.")
    assert realized(analysis) <= Decimal("18085.01")


def test_settings_resolve_the_same_way_twice():
    """No churn: the same inputs give the same trades, to the share."""
    snapshot = balanced({"SPY": [lot("SPY", 667, 700, date(2026, 1, 15))]})
    first = run(snapshot, GOAL)
    second = run(snapshot, GOAL)
    assert trades_of(first) == trades_of(second)
    assert [item.explanation for item in first.trades] == [
        item.explanation for item in second.trades]


def test_whole_shares_unless_fractional_shares_are_allowed():
    snapshot = balanced(cash=300_000)
    whole = run(snapshot, GOAL)
    fractional = run(snapshot, GOAL, replace(Settings(), fractional_shares=True))
    assert all(item.shares == item.shares.to_integral_value() for item in whole.trades)
    assert any(item.shares != item.shares.to_integral_value() for item in fractional.trades)


def test_the_explanation_reads_like_the_design_example():
    # Two XOM lots: the 2019 one at a $12,400 loss, an older one at a gain. Harvesting the
    # loss means not buying XOM back tonight, so Energy is kept on target with CVX.
    xom = [lot("XOM", 120, 110 + 12_400 / 120, date(2019, 3, 4), "XOM-2019"),
           lot("XOM", 425, 60, date(2018, 1, 2), "XOM-2018")]
    analysis = run(balanced({"XOM": xom}), GOAL,
                   Settings(tax_sensitivity=TaxSensitivity.HIGH))

    sale = trade(analysis, "XOM", "sell")
    assert re.fullmatch(r"Sold 120 XOM from the 2019-03-04 lot to harvest a \$12,400 long-term "
                        r"loss; bought \d+ CVX to keep Energy on target\.", sale.explanation), \
        sale.explanation
    assert [relief.lot_id for relief in sale.lots] == ["XOM-2019"]
    assert trade(analysis, "CVX", "buy").explanation.endswith(
        "to keep Energy on target after harvesting the XOM loss.")


def test_a_tax_exempt_account_respects_the_entitys_wash_sale_window():
    # Its own sales are never wash sales, but its purchases would wash the entity's loss.
    snapshot = balanced({"SPY": [lot("SPY", 334, 420, OLD)]}, cash=250_000,
                        status=TaxStatus.TAX_EXEMPT)
    window = WashWindow(key="SPY", buy_blocked_until=date(2026, 12, 20),
                        opened_by="account B-7")
    analysis = run(snapshot, GOAL, wash_windows=[window])
    assert ("SPY", "buy") not in trades_of(analysis)
    assert trade(analysis, "IVV", "buy").shares > 300
