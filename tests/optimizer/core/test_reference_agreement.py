"""The nightly path agrees with the readable reference, and rounding never breaks a rule.

For hundreds of generated accounts (small universes so it stays fast): OSQP on the sparse
problem (`problem.py`, the (s, z, y) form) and Clarabel on the cvxpy reference (`reference.py`,
the literal (b, s) form of DESIGN §8) reach the same objective, within 1e-5 relative or 1e-7
absolute, or both find the problem infeasible. Then the whole analysis is run and its trades are
checked against every hard constraint by a checker written from the inputs, not from the
optimizer's own arrays.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.core import reference, synthetic
from optimizer.core.analyze import analyze, harvest_candidates
from optimizer.core.calibration import TURNOVER_CAP_RANGE, calibrate
from optimizer.core.formulation import Rule, formulate
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    OpenOrder,
    RestrictedPolicy,
    Settings,
    Side,
    Target,
    TaxRates,
    TaxSensitivity,
    TaxStatus,
    Tracking,
    WashWindow,
)
from optimizer.core.outputs import Analysis, AnalysisStatus
from optimizer.core.problem import SCALE, bounds, constraint_matrix, stack
from optimizer.core.relaxation import Limit, feasible
from optimizer.core.solution import SolveStatus
from optimizer.core.solve import AccountSolver

TRADE_DATE = synthetic.TRADE_DATE
RATES = TaxRates(short_term=0.37, long_term=0.20)
CENT = Decimal("0.01")


@cache
def small_universe(seed: int) -> synthetic.Universe:
    """6–14 securities, 2–4 factors; two of them substantially identical (one wash group)."""
    count = 6 + (seed * 3) % 9
    world = synthetic.universe(seed=seed, securities=count, factors=2 + seed % 3, sectors=3)
    keys = list(world.securities)
    securities = dict(world.securities)
    for key in keys[:2]:
        securities[key] = replace(securities[key], identical_group="G")
    return synthetic.Universe(securities=securities, risk=world.risk,
                              index_weights=world.index_weights)


@st.composite
def cases(draw):
    world = small_universe(draw(st.integers(0, 7)))
    keys = list(world.securities)
    positions = draw(st.integers(max(1, len(keys) // 2), len(keys)))
    snapshot, goal = synthetic.account(
        world, seed=draw(st.integers(0, 10**6)), positions=positions,
        lots=draw(st.integers(positions, 3 * positions)), value=draw(st.sampled_from(
            [50_000.0, 250_000.0, 2_000_000.0])),
        cash=draw(st.sampled_from([0.0, 0.01, 0.1])), drift=draw(st.sampled_from([0.1, 0.2, 0.5])),
        tax_status=draw(st.sampled_from(list(TaxStatus))),
        gain_mean=draw(st.sampled_from([-0.2, 0.0, 0.3])))
    if draw(st.booleans()):
        members = tuple(draw(st.permutations(keys))[:3])
        goal = Target(weights=goal.weights,
                      equivalence_sets=(EquivalenceSet(name="set", members=members),))
    held = sorted({lot.security for lot in snapshot.lots})
    # Rules and limits are usually absent (as in real accounts) so that most generated
    # accounts are feasible as they stand; the rest exercise the relaxation order.
    subset = st.one_of(st.just(frozenset()), st.just(frozenset()), st.lists(
        st.sampled_from(keys), min_size=1, max_size=2, unique=True).map(frozenset))
    value = float(snapshot.cash) + sum(float(lot.quantity * world.securities[lot.security].price)
                                       for lot in snapshot.lots)
    choices = Settings(
        tax_sensitivity=draw(st.sampled_from(list(TaxSensitivity))),
        tracking=draw(st.sampled_from(list(Tracking))),
        loss_harvesting=draw(st.booleans()),
        minimum_loss=Decimal(draw(st.sampled_from([0, 100]))),
        gain_budget_remaining=draw(st.sampled_from([None, None, None, Decimal(0),
                                                    Decimal(5_000)])),
        cash_to_keep=Decimal(draw(st.sampled_from([0, round(value * 0.02)]))),
        cash_to_raise=Decimal(draw(st.sampled_from([0, 0, round(value * 0.1)]))),
        do_not_buy=draw(subset), do_not_sell=draw(subset), do_not_trade=draw(subset),
        restricted=draw(subset),
        restricted_policy=draw(st.sampled_from(list(RestrictedPolicy))),
        excluded_asset_classes=frozenset(draw(st.sampled_from(
            [(), (), (), (synthetic.SECTORS[0],)]))),
        minimum_trade=Decimal(draw(st.sampled_from([0, 100, 1_000]))),
        fractional_shares=draw(st.booleans()),
        turnover_cap=draw(st.sampled_from([None, None, None, 0.005, 0.05, 0.3])),
        cost_benefit_threshold=draw(st.sampled_from([0.0, 1.0, 3.0])))
    windows = []
    for key in draw(st.lists(st.sampled_from([*keys, "G"]), max_size=2, unique=True)):
        windows.append(WashWindow(
            key=key,
            buy_blocked_until=draw(st.sampled_from([None, TRADE_DATE, TRADE_DATE
                                                    + timedelta(days=10)])),
            loss_sale_blocked_until=draw(st.sampled_from([None, TRADE_DATE
                                                          + timedelta(days=5)])),
            opened_by="account B"))
    orders = []
    for key in draw(st.lists(st.sampled_from(keys), max_size=1)):
        side = Side.SELL if key in held and draw(st.booleans()) else Side.BUY
        orders.append(OpenOrder(security=key, side=side,
                                shares=Decimal(draw(st.integers(1, 50)))))
    costs = Costs(commission_rate=draw(st.sampled_from([0.0, 0.001])),
                  ticket_charge=Decimal(draw(st.sampled_from([0, 5]))))
    return world, snapshot, goal, choices, windows, orders, costs


# How the generated accounts were solved: OSQP itself, or its fallback (Clarabel).
TALLY = {"osqp": 0, "fallback": 0, "infeasible": 0}


def violation(formulation, solution) -> float:
    """The largest amount by which `solution` breaks a row, in fractions of account value."""
    lower, upper = bounds(formulation)
    values = constraint_matrix(formulation) @ stack(formulation, solution.s, solution.z) / SCALE
    return float(np.max(np.maximum(lower - values, values - upper)))


def agree(osqp_objective: float, clarabel_objective: float) -> bool:
    gap = abs(osqp_objective - clarabel_objective)
    return gap <= 1e-7 or gap <= 1e-5 * max(abs(osqp_objective), abs(clarabel_objective))


@settings(max_examples=320, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_osqp_agrees_with_the_reference_and_rounding_keeps_every_rule(case):
    world, snapshot, goal, choices, windows, orders, costs = case
    calibration = calibrate(choices, taxable=snapshot.is_taxable)
    formulation = formulate(
        snapshot=snapshot, target=goal, settings=choices, calibration=calibration,
        securities=world.securities, risk=world.risk, costs=costs, tax_rates=RATES,
        wash_windows=windows, open_orders=orders, trade_date=TRADE_DATE)
    formulation = formulation.block_buys(harvest_candidates(formulation), Rule.OWN_LOSS_SALE)

    nightly = AccountSolver(formulation).solve()  # OSQP, Clarabel when OSQP does not solve
    checked = reference.solve(formulation)

    if checked.status == SolveStatus.SOLVED:
        assert nightly.status == SolveStatus.SOLVED, nightly.detail
        assert agree(nightly.objective, checked.objective), (
            nightly.objective, checked.objective)
        TALLY["osqp" if nightly.solver == "osqp" else "fallback"] += 1
    else:
        TALLY["infeasible"] += 1
        # Clarabel proved it infeasible or ran out of iterations trying: an LP (HiGHS) on the
        # same rows confirms there is no feasible point. OSQP may only claim one within its
        # tolerance (a problem infeasible by cents sits inside it): then its point breaks no
        # row by more than 1e-6 of the account.
        assert not feasible(formulation)
        if nightly.status == SolveStatus.SOLVED:
            assert violation(formulation, nightly) <= 1e-6

    analysis = analyze(snapshot, goal, choices, world.risk, securities=world.securities,
                       costs=costs, tax_rates=RATES, trade_date=TRADE_DATE,
                       wash_windows=windows, open_orders=orders)
    assert analysis.status != AnalysisStatus.FAILED, analysis.summary
    assert_every_rule_holds(analysis, snapshot, choices, world.securities, windows, orders,
                            costs)


def assert_every_rule_holds(analysis: Analysis, snapshot: AccountSnapshot, choices: Settings,
                            securities, windows, orders, costs: Costs) -> None:
    """The hard constraints, checked from the inputs and the proposed trades alone."""
    lots = {lot.lot_id: lot for lot in snapshot.lots}
    by_key = {window.key: window for window in windows}
    relaxed = {relaxation.limit for relaxation in analysis.relaxations}
    ordered = {order.security for order in orders}
    bought = {t.security: t for t in analysis.trades if t.side == Side.BUY}
    sold = {t.security: t for t in analysis.trades if t.side == Side.SELL}

    assert not set(bought) & set(sold), "bought and sold the same security"
    assert not (set(bought) | set(sold)) & ordered, "traded a security with an open order"
    for key, buy in bought.items():
        info = securities[key]
        assert key not in choices.do_not_buy | choices.do_not_trade | choices.restricted
        assert info.asset_class not in choices.excluded_asset_classes
        window = by_key.get(info.wash_key)
        assert window is None or not window.blocks_buy(TRADE_DATE), f"{key} inside its window"
        assert buy.value >= choices.minimum_trade, f"buy of {key} below the minimum"
        assert buy.value == (buy.shares * info.price).quantize(CENT)
        if not choices.fractional_shares:
            assert buy.shares == buy.shares.to_integral_value()
    losses_sold = set()
    for key, sale in sold.items():
        assert key not in choices.do_not_sell | choices.do_not_trade
        assert sum(relief.shares for relief in sale.lots) == sale.shares
        for relief in sale.lots:
            held = lots[relief.lot_id]
            assert held.security == key and 0 < relief.shares <= held.quantity
            if not choices.fractional_shares and relief.shares != held.quantity:
                assert relief.shares == relief.shares.to_integral_value()
            if relief.gain < 0 and snapshot.is_taxable:
                losses_sold.add(securities[key].wash_key)
                window = by_key.get(securities[key].wash_key)
                assert window is None or not window.blocks_loss_sale(relief.lot_id, TRADE_DATE)
    if snapshot.is_taxable:
        assert not losses_sold & {securities[key].wash_key for key in bought}, \
            "a loss sale and a buy back of the same identical group"

    # Forced sales: restricted (sell-all) and excluded holdings go, unless a rule keeps a lot.
    for lot in snapshot.lots:
        info = securities[lot.security]
        forced = (info.asset_class in choices.excluded_asset_classes
                  or (lot.security in choices.restricted
                      and choices.restricted_policy == RestrictedPolicy.SELL_ALL))
        if not forced:
            continue
        window = by_key.get(info.wash_key)
        at_loss = lot.cost_basis > lot.quantity * info.price
        kept_by_rule = (lot.security in choices.do_not_sell | choices.do_not_trade | ordered
                        or (snapshot.is_taxable and at_loss and window is not None
                            and window.blocks_loss_sale(lot.lot_id, TRADE_DATE)))
        if not kept_by_rule:
            sale = sold.get(lot.security)
            relieved = {relief.lot_id: relief.shares for relief in sale.lots} if sale else {}
            assert relieved.get(lot.lot_id) == lot.quantity, f"forced lot {lot.lot_id} kept"

    # Money: cash target, gain budget, turnover cap (unless the analysis says it relaxed them).
    price = {key: info.price for key, info in securities.items()}
    value = snapshot.cash + sum((lot.quantity * price[lot.security] for lot in snapshot.lots),
                                Decimal(0))
    cash = snapshot.cash
    for order in orders:
        held = sum((lot.quantity for lot in snapshot.lots if lot.security == order.security),
                   Decimal(0))
        shares = order.shares if order.side == Side.BUY else min(order.shares, held)
        cash += (-1 if order.side == Side.BUY else 1) * shares * price[order.security]
    for trade in analysis.trades:
        rate = Decimal(str(costs.rate(trade.security)))
        sign = 1 if trade.side == Side.SELL else -1
        cash += sign * trade.shares * trade.price - trade.shares * trade.price * rate
        cash -= costs.ticket_charge
    if Limit.CASH_TARGET not in relaxed:
        needed = choices.cash_to_keep + choices.cash_to_raise
        assert cash >= needed - CENT, f"cash {cash} below {needed}"
    budget = choices.gain_budget_remaining
    if snapshot.is_taxable and budget is not None and Limit.GAIN_BUDGET not in relaxed:
        realized = sum((relief.gain for sale in sold.values() for relief in sale.lots),
                       Decimal(0))
        assert realized <= budget + CENT * (1 + len(snapshot.lots)), f"gain {realized}"
    if choices.turnover_cap is not None and Limit.TURNOVER_CAP not in relaxed:
        cap = min(max(choices.turnover_cap, TURNOVER_CAP_RANGE[0]), TURNOVER_CAP_RANGE[1])
        traded = sum((trade.value for trade in analysis.trades), Decimal(0))
        assert traded / 2 <= Decimal(str(cap)) * value + CENT * len(analysis.trades)


def test_osqp_solves_nearly_every_account_itself():
    """The fallback is for the rare account OSQP cannot finish (thousands of iterations on a
    degenerate one: zero gain budget, cash to raise, tax-blind), not the way accounts are
    solved. Reads the tally of the property test above (run in the same session)."""
    solved = TALLY["osqp"] + TALLY["fallback"]
    if not solved:
        pytest.skip(f"runs after the property test, which fills the tally ({TALLY})")
    assert solved >= 200, TALLY  # the agreement above held on at least 200 accounts
    assert TALLY["osqp"] >= 0.97 * solved, TALLY
    assert TALLY["infeasible"] > 0  # the generator does reach conflicting rules


def test_the_agreement_check_is_strict_enough_to_fail():
    assert agree(1.0, 1.0 + 5e-6)
    assert not agree(1.0, 1.0 + 5e-5)
    assert agree(1e-9, 5e-8)
    assert not agree(0.0, 1e-6)


def test_a_fixed_account_agrees_to_many_digits():
    world, snapshot, goal, choices = synthetic.reference_account()
    calibration = calibrate(choices, taxable=True)
    formulation = formulate(
        snapshot=snapshot, target=goal, settings=choices, calibration=calibration,
        securities=world.securities, risk=world.risk, costs=Costs(), tax_rates=RATES,
        wash_windows=(), open_orders=(), trade_date=TRADE_DATE)
    nightly = AccountSolver(formulation, fallback=False).solve()
    checked = reference.solve(formulation)
    assert nightly.polished
    assert abs(nightly.objective - checked.objective) <= 1e-6 * abs(checked.objective)

