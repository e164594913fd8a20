"""The sparse OSQP problem says what the formulation says, at any point, not only at optima."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sparse

from optimizer.core import synthetic
from optimizer.core.calibration import calibrate
from optimizer.core.formulation import Rule, formulate
from optimizer.core.inputs import Costs, EquivalenceSet, Settings, Target, TaxRates
from optimizer.core.problem import SCALE, build, rows_of


@pytest.fixture(scope="module")
def formulation():
    world = synthetic.universe(seed=5, securities=40, factors=6, sectors=4)
    snapshot, goal = synthetic.account(world, seed=3, positions=25, lots=60, value=500_000)
    keys = list(world.securities)
    goal = Target(weights=goal.weights,
                  equivalence_sets=(EquivalenceSet("pair", (keys[0], keys[1])),))
    settings = Settings(turnover_cap=0.2, gain_budget_remaining=None)
    return formulate(snapshot=snapshot, target=goal, settings=settings,
                     calibration=calibrate(settings, taxable=True), securities=world.securities,
                     risk=world.risk, costs=Costs(commission_rate=0.0002),
                     tax_rates=TaxRates(0.37, 0.2), wash_windows=(), open_orders=(),
                     trade_date=synthetic.TRADE_DATE)


def test_the_objective_is_the_formulations_at_any_point(formulation):
    f = formulation
    program = build(f)
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = rng.uniform(0, 1, f.m) * f.lot_available
        z = rng.normal(0, 0.01, f.n)
        y = f.loadings @ (f.held + z - f.target)
        x = np.concatenate([s, z, y]) * SCALE
        full = sparse.triu(program.P) + sparse.triu(program.P, k=1).T
        value = 0.5 * x @ (full @ x) + program.q @ x + program.constant
        assert value == pytest.approx(f.objective(s, z), rel=1e-10, abs=1e-14)


def test_each_row_is_the_quantity_it_bounds(formulation):
    f = formulation
    program = build(f)
    rows = rows_of(f)
    rng = np.random.default_rng(2)
    s = rng.uniform(0, 1, f.m) * f.lot_available
    z = rng.normal(0, 0.01, f.n)
    y = f.loadings @ (f.held + z - f.target)
    values = program.A @ (np.concatenate([s, z, y]) * SCALE) / SCALE
    b = f.buys(s, z)
    assert values[rows.buys] == pytest.approx(b)
    assert values[rows.sells] == pytest.approx(s)
    assert values[rows.factors] == pytest.approx(y - f.loadings @ z)
    spend = (1 + f.buy_cost) @ b - (1 - f.sell_cost[f.lot_security]) @ s
    assert values[rows.cash] == pytest.approx(spend)
    assert f.cash - spend == pytest.approx(f.cash_after(s, z))
    assert values[rows.turnover] == pytest.approx(b.sum() + s.sum())
    assert values[rows.gain] == pytest.approx(f.lot_gain @ s)
    class_trade = np.bincount(f.asset_class, z, minlength=len(f.asset_classes))
    assert values[rows.bands] == pytest.approx(class_trade)


def test_the_pattern_never_changes_so_updates_keep_the_factorization(formulation):
    f = formulation
    program = build(f)
    blocked = build(f.block_buys(np.arange(f.n) % 3 == 0, Rule.DO_NOT_BUY))
    assert (program.A.indices == blocked.A.indices).all()
    assert (program.A.indptr == blocked.A.indptr).all()
    assert (program.P.indices == blocked.P.indices).all()
