"""The sparse OSQP problem for one account, built directly from a `Formulation`.

OSQP solves  min ½ xᵀPx + qᵀx  s.t.  l ≤ Ax ≤ u,  so every bound is one two-sided row (cvxpy
would write two one-sided constraints and OSQP then needs about twice the iterations).

Variables x = [s (m lots), z (n securities), y (k factors)]:
- s_l ∈ [lower_l, upper_l] is the value sold from lot l;
- z_i = b_i − Σ_{l∈i} s_l is the net trade in security i, so w = h + z; the buy is the row
  b_i = z_i + Σ_{l∈i} s_l ∈ [0, buy_upper_i]. DESIGN §8 writes the problem in (b, s); with z
  instead of b the dense factor rows touch n columns instead of n + m, and the specific-risk
  term is block-diagonal in z (one block per equivalence set), not per lot. `reference.py`
  keeps the literal (b, s) form, so the two are checked against each other;
- y = Lᵀ Xᵀ (w − w*): k factor rows y − Lᵀ Xᵀ z = Lᵀ Xᵀ (h − w*) keep P sparse (‖y‖² instead
  of a dense n × n factor covariance).

Units: OSQP sees x in percent of account value (`SCALE` = 100), not in fractions. Its
absolute tolerance then means 1e-7 of the account ($0.10 on a million) instead of 1e-5 ($10):
positions are fractions of a percent, and at fraction units an unpolished 1e-5 iterate was off
by 1e-3 in objective. In percent, ADMM also needs fewer iterations (the rows' scales are closer
to one). P, q, l, u are rescaled here, and the duals are scaled back in `solve.py`, so every
caller sees fractions.

Rows, in this order (the order also sorts every column's row indices, as CSC requires):
buys (n), sells (m), factors (k), cash, turnover, gain budget, asset-class bands (c). Every row
is always present, with infinite bounds when its limit is off, so the sparsity pattern never
changes: relaxing a limit, dropping a trade or blocking a buy is a bounds update that keeps
OSQP's factorization, and raising κ only rescales P's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from optimizer.core.formulation import Formulation
from optimizer.core.inputs import FloatArray

# OSQP's unit: percent of account value (see the module docstring).
SCALE = 100.0


@dataclass(frozen=True)
class Rows:
    """Where each block of rows starts in A (and in OSQP's dual vector)."""

    n: int
    m: int
    k: int
    classes: int

    @property
    def buys(self) -> slice:
        return slice(0, self.n)

    @property
    def sells(self) -> slice:
        return slice(self.n, self.n + self.m)

    @property
    def factors(self) -> slice:
        return slice(self.n + self.m, self.n + self.m + self.k)

    @property
    def cash(self) -> int:
        return self.n + self.m + self.k

    @property
    def turnover(self) -> int:
        return self.cash + 1

    @property
    def gain(self) -> int:
        return self.cash + 2

    @property
    def bands(self) -> slice:
        return slice(self.cash + 3, self.cash + 3 + self.classes)

    @property
    def count(self) -> int:
        return self.cash + 3 + self.classes


@dataclass(frozen=True, eq=False)
class QuadraticProgram:
    """OSQP's data for one formulation, in OSQP's units (x = SCALE × fractions).

    `P` is upper-triangular CSC; `P_per_kappa` holds P's values for κ = 1 (P is linear in κ),
    so a new κ is `update(Px=κ·P_per_kappa)`. `constant` is the objective's constant term, so
    ½xᵀPx + qᵀx + constant is the full objective of `Formulation.objective` (rescaling x
    leaves the objective's value unchanged).
    """

    P: sparse.csc_matrix
    q: FloatArray
    A: sparse.csc_matrix
    lower: FloatArray
    upper: FloatArray
    P_per_kappa: FloatArray
    constant: float
    rows: Rows

    @property
    def variables(self) -> int:
        return int(self.A.shape[1])


def rows_of(formulation: Formulation) -> Rows:
    return Rows(n=formulation.n, m=formulation.m, k=formulation.k,
                classes=len(formulation.asset_classes))


def bounds(formulation: Formulation) -> tuple[FloatArray, FloatArray]:
    """Row bounds l, u in fractions: everything the rules, relaxations and drops change."""
    f = formulation
    rows = rows_of(f)
    factor_rhs = f.loadings @ (f.held - f.target)
    class_held = np.bincount(f.asset_class, f.held, minlength=rows.classes)
    class_offset = f.class_target - class_held
    lower = np.concatenate([
        np.zeros(rows.n), f.sell_lower, factor_rhs,
        [-np.inf, -np.inf, -np.inf], class_offset - f.class_band])
    upper = np.concatenate([
        f.buy_upper, f.sell_upper, factor_rhs,
        [f.cash - f.cash_minimum - f.ticket_reserve, 2 * f.turnover_cap, f.gain_budget],
        class_offset + f.class_band])
    return lower, upper


def linear(formulation: Formulation) -> tuple[FloatArray, float]:
    """q (for x in fractions) and the objective's constant for the formulation's κ."""
    f = formulation
    group_count = len(f.group_target)
    group_gap = np.bincount(f.group, f.held, minlength=group_count) - f.group_target
    q = np.concatenate([
        f.buy_cost[f.lot_security] + f.sell_cost[f.lot_security] + f.lot_tax,
        f.buy_cost + 2 * f.kappa * f.group_variance[f.group] * group_gap[f.group],
        np.zeros(f.k)])
    constant = f.kappa * float(f.group_variance @ group_gap**2)
    return q, constant


def _quadratic_per_kappa(formulation: Formulation) -> sparse.csc_matrix:
    """P for κ = 1: 2δ²_g on every pair of z's in one group (upper triangle), 2 on y."""
    f = formulation
    n, m, k = f.n, f.m, f.k
    # Members of each group in index order, so column i's entries are the members of its
    # group up to and including i: one entry for a lone security.
    order = np.argsort(f.group, kind="stable")
    sorted_groups = f.group[order]
    start = np.searchsorted(sorted_groups, np.arange(len(f.group_target)))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - start[sorted_groups]
    counts = rank + 1
    column_of_entry = np.repeat(np.arange(n), counts)
    z_indptr = np.concatenate([[0], np.cumsum(counts)])
    within = np.arange(z_indptr[-1]) - np.repeat(z_indptr[:-1], counts)
    z_rows = order[start[f.group[column_of_entry]] + within]
    z_data = 2 * f.group_variance[f.group[column_of_entry]]
    indptr = np.concatenate([np.zeros(m, dtype=np.int64), z_indptr,
                             z_indptr[-1] + 1 + np.arange(k)]).astype(np.int64)
    indices = np.concatenate([m + z_rows, m + n + np.arange(k)]).astype(np.int32)
    data = np.concatenate([z_data, np.full(k, 2.0)])
    size = m + n + k
    return sparse.csc_matrix((data, indices, indptr), shape=(size, size))


def constraint_matrix(formulation: Formulation) -> sparse.csc_matrix:
    """A, column by column (each column's rows ascending)."""
    f = formulation
    n, m, k = f.n, f.m, f.k
    rows = rows_of(f)
    lot_cost = f.buy_cost[f.lot_security] + f.sell_cost[f.lot_security]
    # s_l: its security's buy row, its own sell row, cash, turnover, gain budget.
    s_indices = np.stack([f.lot_security, n + np.arange(m), np.full(m, rows.cash),
                          np.full(m, rows.turnover), np.full(m, rows.gain)], axis=1)
    s_data = np.stack([np.ones(m), np.ones(m), lot_cost, np.full(m, 2.0), f.lot_gain], axis=1)
    # z_i: its buy row, the k factor rows, cash, turnover, its asset-class band.
    z_indices = np.concatenate([
        np.arange(n)[:, None], np.broadcast_to(n + m + np.arange(k), (n, k)),
        np.full((n, 1), rows.cash), np.full((n, 1), rows.turnover),
        (rows.bands.start + f.asset_class)[:, None]], axis=1)
    z_data = np.concatenate([
        np.ones((n, 1)), -f.loadings.T, (1 + f.buy_cost)[:, None], np.ones((n, 1)),
        np.ones((n, 1))], axis=1)
    indices = np.concatenate([s_indices.ravel(), z_indices.ravel(),
                              n + m + np.arange(k)]).astype(np.int32)
    data = np.concatenate([s_data.ravel(), z_data.ravel(), np.ones(k)])
    indptr = np.concatenate([np.arange(m + 1) * 5, 5 * m + np.arange(1, n + 1) * (k + 4),
                             5 * m + n * (k + 4) + np.arange(1, k + 1)]).astype(np.int32)
    return sparse.csc_matrix((data, indices, indptr), shape=(rows.count, m + n + k))


def scaled_bounds(formulation: Formulation) -> tuple[FloatArray, FloatArray]:
    """Row bounds in OSQP's units."""
    lower, upper = bounds(formulation)
    return lower * SCALE, upper * SCALE


def scaled_linear(formulation: Formulation) -> tuple[FloatArray, float]:
    """q in OSQP's units, and the objective's constant."""
    q, constant = linear(formulation)
    return q / SCALE, constant


def build(formulation: Formulation) -> QuadraticProgram:
    """The OSQP problem of `formulation`, in OSQP's units."""
    per_kappa = _quadratic_per_kappa(formulation)
    per_kappa.data /= SCALE**2
    P = per_kappa.copy()
    P.data = per_kappa.data * formulation.kappa
    q, constant = scaled_linear(formulation)
    lower, upper = scaled_bounds(formulation)
    return QuadraticProgram(P=P, q=q, A=constraint_matrix(formulation), lower=lower, upper=upper,
                            P_per_kappa=per_kappa.data, constant=constant,
                            rows=rows_of(formulation))


def split(formulation: Formulation, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(s, z) in fractions out of OSQP's x."""
    m, n = formulation.m, formulation.n
    return x[:m] / SCALE, x[m:m + n] / SCALE


def stack(formulation: Formulation, s: FloatArray, z: FloatArray) -> FloatArray:
    """OSQP's x from (s, z) in fractions, with y at its defining value (for warm starts)."""
    y = formulation.loadings @ (formulation.held + z - formulation.target)
    return np.concatenate([s, z, y]) * SCALE
