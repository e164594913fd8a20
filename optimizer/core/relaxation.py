"""When an account's settings conflict: relax the least important limit, as little as possible.

The relaxation order (DESIGN §8, issue 5):

1. the turnover cap,
2. the annual gain budget,
3. the asset-class tracking bands,
4. the cash target (only what cannot be raised at all, e.g. every lot is on do-not-sell).

Restrictions (do-not-buy/sell/trade, restriction lists, excluded asset classes), wash-sale
rules and open orders are never relaxed: they are bounds, not limits, and a problem with only
them and no limits is always feasible (sell what is forced, nothing else).

The smallest relaxation is found with linear programs (HiGHS), not by switching limits off: the
first k limits of the order are lifted until the rest is feasible; then, most important first,
each lifted limit is set back to the least value that is feasible with the ones before it
already set, so turnover is relaxed only as far as the relaxed gain budget needs, and so on.
Every relaxation says, in plain English, what was relaxed, from what to what, and why: the
forced trades, the cash need and the blocked lots that make the limit unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import linprog

from optimizer.core.formulation import RULE_WORDS, Formulation, Rule
from optimizer.core.inputs import FloatArray
from optimizer.core.problem import bounds, constraint_matrix, rows_of

# Relaxed limits sit one basis point of the account beyond the LP's minimum: at the minimum
# itself the quadratic program's feasible set is a sliver (the relaxed rows and the rules that
# forced them all active at once), and first-order solvers crawl through slivers.
MARGIN = 1e-4
# Bands get ten: several of them may need widening at once, each by its least amount, and
# together they leave a thin feasible set unless each has room.
BAND_MARGIN = 1e-3


class Limit(StrEnum):
    """The limits that may be relaxed, in the order they are."""

    TURNOVER_CAP = "turnover_cap"
    GAIN_BUDGET = "gain_budget"
    ASSET_CLASS_BANDS = "asset_class_bands"
    CASH_TARGET = "cash_target"


ORDER = (Limit.TURNOVER_CAP, Limit.GAIN_BUDGET, Limit.ASSET_CLASS_BANDS, Limit.CASH_TARGET)


@dataclass(frozen=True)
class Relaxation:
    """One relaxed limit: before and after (fractions of account value, per asset class for
    bands: the widest widening), and the sentence that says so."""

    limit: Limit
    before: float
    after: float
    text: str


class Infeasible(Exception):
    """Even with every limit relaxed the rules cannot be met (should not happen)."""


def _active(f: Formulation, limit: Limit) -> bool:
    if limit == Limit.TURNOVER_CAP:
        return bool(np.isfinite(f.turnover_cap))
    if limit == Limit.GAIN_BUDGET:
        return bool(np.isfinite(f.gain_budget))
    if limit == Limit.ASSET_CLASS_BANDS:
        return bool(np.isfinite(f.class_band).any())
    return f.cash_minimum > -np.inf


def _lift(f: Formulation, limit: Limit) -> Formulation:
    if limit == Limit.TURNOVER_CAP:
        return replace(f, turnover_cap=np.inf)
    if limit == Limit.GAIN_BUDGET:
        return replace(f, gain_budget=np.inf)
    if limit == Limit.ASSET_CLASS_BANDS:
        return replace(f, class_band=np.full_like(f.class_band, np.inf))
    return replace(f, cash_minimum=-np.inf)


@dataclass(frozen=True)
class _LinearProgram:
    """The feasible set of a formulation over (s, z), for linprog."""

    A_ub: sparse.csr_matrix
    b_ub: FloatArray
    variable_bounds: list[tuple[float | None, float | None]]


def _linear_program(f: Formulation) -> _LinearProgram:
    rows = rows_of(f)
    A = constraint_matrix(f).tocsr()
    lower, upper = bounds(f)
    keep = np.ones(rows.count, dtype=bool)
    keep[rows.factors] = False  # y is free: its rows never bind feasibility
    keep[rows.sells] = False  # sales' bounds go to linprog as variable bounds
    A = A[keep][:, :f.m + f.n]
    lower, upper = lower[keep], upper[keep]
    high, low = np.isfinite(upper), np.isfinite(lower)
    A_ub = sparse.vstack([A[high], -A[low]]).tocsr()
    b_ub = np.concatenate([upper[high], -lower[low]])
    variable_bounds: list[tuple[float | None, float | None]] = [
        (float(lo), float(hi)) for lo, hi in zip(f.sell_lower, f.sell_upper, strict=True)]
    variable_bounds += [(None, None)] * f.n
    return _LinearProgram(A_ub=A_ub, b_ub=b_ub, variable_bounds=variable_bounds)


def _minimize(f: Formulation, cost: FloatArray) -> float | None:
    """min costᵀ(s, z) over the formulation's feasible set; None when it is empty."""
    lp = _linear_program(f)
    result = linprog(cost, A_ub=lp.A_ub, b_ub=lp.b_ub, bounds=lp.variable_bounds,
                     method="highs")
    if result.status == 2:
        return None
    if result.status != 0:
        raise Infeasible(f"the feasibility LP failed: {result.message}")
    return float(result.fun)


def feasible(f: Formulation) -> bool:
    return _minimize(f, np.zeros(f.m + f.n)) is not None


def _turnover_row(f: Formulation) -> FloatArray:
    """(buys + sells) / 2 as a function of (s, z): z + 2s summed, halved."""
    return np.concatenate([np.ones(f.m), np.full(f.n, 0.5)])


def _gain_row(f: Formulation) -> FloatArray:
    return np.concatenate([f.lot_gain, np.zeros(f.n)])


def _spend_row(f: Formulation) -> FloatArray:
    lot_cost = f.buy_cost[f.lot_security] + f.sell_cost[f.lot_security]
    return np.concatenate([lot_cost, 1 + f.buy_cost])


def _least_band_widening(f: Formulation) -> FloatArray | None:
    """Per asset class, the least widening of its band that makes the rest feasible."""
    classes = len(f.asset_classes)
    lifted = replace(f, class_band=np.full(classes, np.inf))
    lp = _linear_program(lifted)
    in_class = sparse.csr_matrix((np.ones(f.n), (f.asset_class, f.m + np.arange(f.n))),
                                 shape=(classes, f.m + f.n))
    held = np.bincount(f.asset_class, f.held, minlength=classes)
    offset = f.class_target - held
    # Σ_c z − β_c ≤ offset + band and −Σ_c z − β_c ≤ −(offset − band), β ≥ 0.
    widen = -sparse.identity(classes, format="csr")
    A_ub = sparse.vstack([
        sparse.hstack([lp.A_ub, sparse.csr_matrix((lp.A_ub.shape[0], classes))]),
        sparse.hstack([in_class, widen]), sparse.hstack([-in_class, widen])]).tocsr()
    band = np.where(np.isfinite(f.class_band), f.class_band, 1.0)
    b_ub = np.concatenate([lp.b_ub, offset + band, -(offset - band)])
    cost = np.concatenate([np.zeros(f.m + f.n), np.ones(classes)])
    result = linprog(cost, A_ub=A_ub, b_ub=b_ub,
                     bounds=[*lp.variable_bounds, *[(0.0, None)] * classes], method="highs")
    if result.status != 0:
        return None
    return np.asarray(result.x[f.m + f.n:])


def _money(f: Formulation, fraction: float) -> str:
    return f"${fraction * f.value:,.0f}"


def _drivers(f: Formulation) -> str:
    """What forces trades in this account, as a gerund phrase ("selling the restricted XOM
    and raising $50,000 of cash"), or "the other requirements" when nothing does."""
    phrases: list[str] = []
    forced = f.forced
    for rule, words in ((Rule.RESTRICTED, "the restricted"),
                        (Rule.EXCLUDED_ASSET_CLASS, "the excluded")):
        symbols = sorted({f.symbols[f.lot_security[lot]] for lot in np.flatnonzero(forced)
                          if f.force_rule[lot] == rule})
        if symbols:
            phrases.append(f"selling {words} {', '.join(symbols)}")
    if f.cash_minimum > f.cash + 1e-9:
        phrases.append(f"raising {_money(f, f.cash_minimum - f.cash)} of cash")
    if not phrases:
        return "meeting the other requirements"
    return " and ".join(phrases) if len(phrases) < 3 else (
        ", ".join(phrases[:-1]) + " and " + phrases[-1])


def _blocked_in_class(f: Formulation, position: int) -> str:
    """Why an asset class cannot get back inside its band: its lots that cannot be sold."""
    reasons: list[str] = []
    seen: set[str] = set()
    for lot in range(f.m):
        security = int(f.lot_security[lot])
        rule = f.sell_rule[lot]
        if f.asset_class[security] == position and rule and f.symbols[security] not in seen:
            seen.add(f.symbols[security])
            reasons.append(f"{f.symbols[security]} cannot be sold "
                           f"({RULE_WORDS[rule].removeprefix('it is ').removeprefix('its ')})")
    return "; ".join(reasons) if reasons else "the other requirements keep it there"


def _text(f: Formulation, limit: Limit, before: float, after: float,
          widening: FloatArray | None = None) -> str:
    if limit == Limit.TURNOVER_CAP:
        return (f"The turnover cap of {before:.1%} was raised to {after:.1%}: "
                f"{_drivers(f)} needs at least that much turnover.")
    if limit == Limit.GAIN_BUDGET:
        return (f"The remaining annual gain budget of {_money(f, before)} was raised to "
                f"{_money(f, after)}: {_drivers(f)} realizes at least that much net gain.")
    if limit == Limit.ASSET_CLASS_BANDS:
        assert widening is not None
        parts = [f"{f.asset_classes[position]} from ±{f.class_band[position]:.1%} to "
                 f"±{f.class_band[position] + widening[position]:.1%} "
                 f"({_blocked_in_class(f, int(position))})"
                 for position in np.flatnonzero(widening > MARGIN)]
        return f"Asset-class bands were widened: {'; '.join(parts)}."
    return (f"The cash target of {_money(f, before)} was lowered to {_money(f, after)}, the "
            f"most cash the account can hold after trading: its other holdings are kept by "
            f"rules that are never relaxed (do-not-sell, do-not-trade, wash-sale windows, "
            f"open orders).")


def _least(current: Formulation, limit: Limit) -> float:
    """The least value of `limit` that `current` (with `limit` lifted) can meet."""
    if limit == Limit.TURNOVER_CAP:
        least = _minimize(current, _turnover_row(current))
    elif limit == Limit.GAIN_BUDGET:
        least = _minimize(current, _gain_row(current))
    else:
        spend = _minimize(current, _spend_row(current))
        least = None if spend is None else current.cash - spend  # the most cash it can hold
    if least is None:
        raise Infeasible(f"relaxing the {limit} did not help")
    return least


def report(baseline: Formulation, relaxed: Formulation) -> tuple[Relaxation, ...]:
    """What `relaxed` relaxed against `baseline`, in the documented order, in plain English."""
    relaxations: list[Relaxation] = []
    if relaxed.turnover_cap > baseline.turnover_cap:
        relaxations.append(Relaxation(
            Limit.TURNOVER_CAP, baseline.turnover_cap, relaxed.turnover_cap,
            _text(baseline, Limit.TURNOVER_CAP, baseline.turnover_cap, relaxed.turnover_cap)))
    if relaxed.gain_budget > baseline.gain_budget:
        relaxations.append(Relaxation(
            Limit.GAIN_BUDGET, baseline.gain_budget, relaxed.gain_budget,
            _text(baseline, Limit.GAIN_BUDGET, baseline.gain_budget, relaxed.gain_budget)))
    widening = relaxed.class_band - baseline.class_band
    if (widening > 0).any():
        relaxations.append(Relaxation(
            Limit.ASSET_CLASS_BANDS, float(baseline.class_band.max()),
            float(relaxed.class_band.max()),
            _text(baseline, Limit.ASSET_CLASS_BANDS, 0.0, 0.0, widening)))
    if relaxed.cash_minimum < baseline.cash_minimum:
        relaxations.append(Relaxation(
            Limit.CASH_TARGET, baseline.cash_minimum, relaxed.cash_minimum,
            _text(baseline, Limit.CASH_TARGET, baseline.cash_minimum, relaxed.cash_minimum)))
    return tuple(relaxations)


def relax(formulation: Formulation, *, baseline: Formulation | None = None,
          ) -> tuple[Formulation, tuple[Relaxation, ...]]:
    """The least relaxation of `formulation` in the documented order, and what it says.

    `baseline` is the account's formulation before any relaxation (it defaults to
    `formulation`): when a re-solve later in the night needs more relaxing, the report still
    reads from the settings' own limits. Returns the formulation unchanged when it is feasible
    as it is. Raises `Infeasible` when no relaxation helps.
    """
    applicable = [limit for limit in ORDER if _active(formulation, limit)]
    lifted: list[Limit] = []
    trial = formulation
    while not feasible(trial):
        if len(lifted) == len(applicable):
            raise Infeasible("the rules alone cannot be met")
        limit = applicable[len(lifted)]
        lifted.append(limit)
        trial = _lift(trial, limit)
    current = trial
    for limit in reversed(lifted):  # the most important first, the others still lifted
        if limit == Limit.ASSET_CLASS_BANDS:
            widening = _least_band_widening(replace(current,
                                                    class_band=formulation.class_band))
            if widening is None:
                raise Infeasible("no band widening makes the problem feasible")
            current = replace(current, class_band=formulation.class_band
                              + np.where(widening > 0, widening + BAND_MARGIN, 0.0))
        elif limit == Limit.CASH_TARGET:
            most_cash = _least(current, limit)
            current = replace(current, cash_minimum=min(formulation.cash_minimum,
                                                        most_cash - MARGIN))
        elif limit == Limit.TURNOVER_CAP:
            current = replace(current, turnover_cap=max(formulation.turnover_cap,
                                                        _least(current, limit) + MARGIN))
        else:
            current = replace(current, gain_budget=max(formulation.gain_budget,
                                                       _least(current, limit) + MARGIN))
    return current, report(baseline or formulation, current)
