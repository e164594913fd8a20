"""The reference formulation: the same problem written readably in cvxpy, in DESIGN §8's terms.

Variables are the literal ones — buys b_i ≥ 0 per security and sales s_l per lot — and every
expression reads like the design's formula. It is solved by an independent interior-point
solver (Clarabel). The nightly path (`problem.py` + OSQP) is checked against it in tests, and
it is the fallback when OSQP does not report "solved". It is slow (cvxpy compiles the problem
each time) and that is fine: it is for checking and for the rare account OSQP cannot finish.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import scipy.sparse as sparse

from optimizer.core.formulation import Formulation
from optimizer.core.problem import rows_of
from optimizer.core.solution import Solution, SolveStatus, unsolved

SOLVED_STATUSES = {cp.OPTIMAL}
INFEASIBLE_STATUSES = {cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE}


def _upper_dual(constraint: cp.Constraint | None, size: int) -> np.ndarray:
    if constraint is None or constraint.dual_value is None:
        return np.zeros(size)
    return np.atleast_1d(np.asarray(constraint.dual_value, dtype=float)).reshape(size)


def solve(formulation: Formulation, *, solver: str = cp.CLARABEL,
          accept_inaccurate: bool = False, **solver_options: object) -> Solution:
    """Solve `formulation` with cvxpy and `solver`; duals mapped to `problem.Rows` order.

    As the fallback of the nightly path, `accept_inaccurate` takes Clarabel's "optimal
    inaccurate" (still far better than nothing, and noted in the solution's detail); the tests
    that check OSQP against it leave it off. `solver_options` go to the solver as they are
    (the benchmark solves this same problem with OSQP at the nightly path's tolerances).
    """
    f = formulation
    n, m = f.n, f.m
    rows = rows_of(f)
    holdings = sparse.csr_matrix((np.ones(m), (f.lot_security, np.arange(m))), shape=(n, m))
    in_class = sparse.csr_matrix((np.ones(n), (f.asset_class, np.arange(n))),
                                 shape=(len(f.asset_classes), n))
    in_group = sparse.csr_matrix((np.ones(n), (f.group, np.arange(n))),
                                 shape=(len(f.group_target), n))

    b = cp.Variable(n, name="buys")
    s = cp.Variable(m, name="sells")
    w = f.held + b - holdings @ s  # post-trade weights
    active = w - f.target
    tracking = (cp.sum_squares(f.loadings @ active)
                + cp.sum(cp.multiply(f.group_variance, cp.square(in_group @ active))))
    tax = f.lot_tax @ s
    trading = f.buy_cost @ b + f.sell_cost[f.lot_security] @ s
    objective = cp.Minimize(f.kappa * tracking + tax + trading)

    blocked = np.flatnonzero(f.buy_upper == 0)
    buy_floor = b >= 0
    buy_block = b[blocked] <= 0 if blocked.size else None
    sell_floor = s >= f.sell_lower
    sell_ceiling = s <= f.sell_upper
    spend = (1 + f.buy_cost) @ b - (1 - f.sell_cost[f.lot_security]) @ s
    cash = spend <= f.cash - f.cash_minimum - f.ticket_reserve
    turnover = (cp.sum(b) + cp.sum(s) <= 2 * f.turnover_cap
                if np.isfinite(f.turnover_cap) else None)
    gain = f.lot_gain @ s <= f.gain_budget if np.isfinite(f.gain_budget) and m else None
    class_weight = in_class @ w
    finite = np.isfinite(f.class_band)
    band_high = (class_weight[finite] <= f.class_target[finite] + f.class_band[finite]
                 if finite.any() else None)
    band_low = (class_weight[finite] >= f.class_target[finite] - f.class_band[finite]
                if finite.any() else None)
    constraints = [c for c in (buy_floor, buy_block, sell_floor, sell_ceiling, cash, turnover,
                               gain, band_high, band_low) if c is not None]
    problem = cp.Problem(objective, constraints)
    try:
        problem.solve(solver=solver, **solver_options)
    except cp.SolverError as error:
        return unsolved(SolveStatus.FAILED, solver.lower(), n, m, rows.count, str(error))
    if problem.status in INFEASIBLE_STATUSES:
        return unsolved(SolveStatus.INFEASIBLE, solver.lower(), n, m, rows.count,
                        problem.status)
    solved = SOLVED_STATUSES | ({cp.OPTIMAL_INACCURATE} if accept_inaccurate else set())
    if problem.status not in solved or b.value is None or s.value is None:
        return unsolved(SolveStatus.FAILED, solver.lower(), n, m, rows.count,
                        str(problem.status))

    duals = np.zeros(rows.count)
    buy_duals = -_upper_dual(buy_floor, n)
    if buy_block is not None:
        buy_duals[blocked] += _upper_dual(buy_block, blocked.size)
    duals[rows.buys] = buy_duals
    duals[rows.sells] = _upper_dual(sell_ceiling, m) - _upper_dual(sell_floor, m)
    duals[rows.cash] = _upper_dual(cash, 1)[0]
    if turnover is not None:
        duals[rows.turnover] = _upper_dual(turnover, 1)[0]
    if gain is not None:
        duals[rows.gain] = _upper_dual(gain, 1)[0]
    if band_high is not None and band_low is not None:
        band = np.zeros(len(f.asset_classes))
        count = int(finite.sum())
        band[finite] = _upper_dual(band_high, count) - _upper_dual(band_low, count)
        duals[rows.bands] = band
    sells = np.asarray(s.value, dtype=float)
    net = np.asarray(b.value, dtype=float) - f.sold(sells)
    return Solution(status=SolveStatus.SOLVED, solver=solver.lower(), s=sells, z=net,
                    duals=duals, objective=f.objective(sells, net),
                    detail="" if problem.status == cp.OPTIMAL else str(problem.status),
                    iterations=int(problem.solver_stats.num_iters or 0),
                    solve_time=float(problem.solver_stats.solve_time or 0.0))
