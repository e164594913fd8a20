"""Reasons come from the solution: change one constraint and the trade's reason changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from optimizer.core.inputs import Settings, TaxSensitivity, Tracking, WashWindow
from optimizer.core.outputs import ReasonCode
from tests.optimizer.core.builders import lot, run, trade
from tests.optimizer.core.test_scenarios import GOAL, OLD, balanced

# XOM 9% against 6% at a large gain, CVX 4%: tight tracking wants some XOM sold.
DRIFTED = balanced({"XOM": [lot("XOM", 818, 40, OLD)], "CVX": [lot("CVX", 267, 100, OLD)]},
                   cash=20_000)
TIGHT = Settings(tax_sensitivity=TaxSensitivity.LOW, tracking=Tracking.TIGHT)


def test_a_sale_for_tracking_becomes_a_sale_to_raise_cash():
    plain = trade(run(DRIFTED, GOAL, TIGHT), "XOM", "sell")
    raising = trade(run(DRIFTED, GOAL, replace(TIGHT, cash_to_raise=Decimal(60_000))),
                    "XOM", "sell")

    assert plain.reasons[0] == ReasonCode.TRACK_TARGET
    assert ReasonCode.RAISE_CASH not in plain.reasons
    assert "to keep Energy on target" in plain.explanation
    assert raising.reasons[0] == ReasonCode.RAISE_CASH
    assert "to raise the $60,000 of cash requested" in raising.explanation


def test_a_gain_budget_that_binds_is_named_and_one_that_does_not_is_not():
    loose_budget = trade(run(DRIFTED, GOAL, replace(
        TIGHT, gain_budget_remaining=Decimal(1_000_000))), "XOM", "sell")
    tight_budget = trade(run(DRIFTED, GOAL, replace(
        TIGHT, gain_budget_remaining=Decimal(3_000))), "XOM", "sell")

    assert ReasonCode.GAIN_BUDGET not in loose_budget.reasons
    assert ReasonCode.GAIN_BUDGET in tight_budget.reasons
    assert "gain budget" not in loose_budget.explanation
    assert "the annual gain budget limits how much more can be sold" in tight_budget.explanation


def test_the_rule_that_blocks_the_models_choice_is_the_one_named():
    # $200,000 of spare cash for the S&P sleeve, whose model choice is SPY.
    snapshot = balanced({"SPY": [lot("SPY", 334, 420, OLD)]}, cash=250_000)
    window = WashWindow(key="SPY", buy_blocked_until=date(2026, 12, 20),
                        opened_by="account B-7")

    free = trade(run(snapshot, GOAL), "SPY", "buy")
    do_not_buy = trade(run(snapshot, GOAL, Settings(do_not_buy=frozenset({"SPY"}))),
                       "IVV", "buy")
    washed = trade(run(snapshot, GOAL, wash_windows=[window]), "IVV", "buy")

    assert ReasonCode.SUBSTITUTE not in free.reasons
    assert ReasonCode.SUBSTITUTE in do_not_buy.reasons
    assert "instead of SPY, which is on the do-not-buy list," in do_not_buy.explanation
    assert ("instead of SPY, which a wash-sale window opened by account B-7 blocks through "
            "2026-12-20,") in washed.explanation


def test_a_loss_sold_for_its_tax_benefit_is_a_harvest_and_without_harvesting_it_is_not():
    # JPM overweight (10% against 8%), its only lot at a loss: sold either way, but only with
    # loss harvesting on is the loss the reason.
    snapshot = balanced({"JPM": [lot("JPM", 500, 260, date(2026, 2, 2))]}, cash=0)
    harvesting = run(snapshot, GOAL, Settings(tax_sensitivity=TaxSensitivity.HIGH))
    not_harvesting = run(snapshot, GOAL, Settings(tax_sensitivity=TaxSensitivity.HIGH,
                                                  loss_harvesting=False))

    assert trade(harvesting, "JPM", "sell").reasons[0] == ReasonCode.HARVEST_LOSS
    plain = trade(not_harvesting, "JPM", "sell")
    assert ReasonCode.HARVEST_LOSS not in plain.reasons
    assert plain.reasons[0] == ReasonCode.TRACK_TARGET
    assert "realizing a" in plain.explanation and "short-term loss" in plain.explanation
