"""The one entry point: `analyze` one account, from its inputs to actionable, explained trades.

The pipeline (DESIGN §8):
1. calibrate the plain-English settings (`calibration.calibrate`);
2. formulate the account's problem (`formulation.formulate`): open orders netted, rules as
   bounds, wash-sale windows (the entity's, including tonight's proposals in its other
   accounts) applied;
3. leave the account alone when it is inside its bands and nothing forces a trade;
4. solve with OSQP (`solve.AccountSolver`), Clarabel as the fallback; when the settings
   conflict, relax in the documented order (`relaxation.relax`) and say what was relaxed;
5. re-solve, warm, while any of these holds (each a bounds or κ update, never a new setup):
   the ex-ante tracking error is above the band (κ is raised, within its safe range); the
   solution would sell a lot at a loss and buy its identical group back (a same-night wash
   sale: the group's buys are blocked); a trade is below the minimum trade size or the firm's
   cost/benefit threshold (it is blocked; once — what the re-solve still leaves below the bars
   is dropped without another, as it moves the rest very little);
6. round to shares, choose lots, repair and re-check every hard constraint
   (`postprocess`), explain every trade (`explain`), measure before and after (`metrics`).

Deterministic: the same inputs give the same trades, so an unchanged account does not churn
night to night.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np

from optimizer.core.calibration import (
    KAPPA_ESCALATION_MIN_GAIN,
    KAPPA_ESCALATION_ROUNDS,
    KAPPA_ESCALATION_STEP,
    Calibration,
    calibrate,
)
from optimizer.core.explain import explain
from optimizer.core.formulation import Formulation, Rule, formulate
from optimizer.core.inputs import (
    AccountSnapshot,
    BoolArray,
    Costs,
    OpenOrder,
    RiskModelSlice,
    Security,
    Settings,
    Target,
    TaxRates,
    WashWindow,
)
from optimizer.core.metrics import portfolio, tracking_error, trade_metrics
from optimizer.core.outputs import (
    Analysis,
    AnalysisStatus,
    PortfolioMetrics,
    ProposedTrade,
    SolverReport,
    TradeMetrics,
)
from optimizer.core.postprocess import (
    DUAL_TOLERANCE,
    MONEY_TOLERANCE,
    TINY,
    Shares,
    apply_drops,
    cash_after,
    realized_gain,
    repair,
    score,
    to_shares,
    turnover,
    unactionable,
    violations,
    weights_after,
    without,
)
from optimizer.core.problem import rows_of
from optimizer.core.relaxation import Infeasible, Relaxation, relax, report
from optimizer.core.solution import Solution, SolveStatus
from optimizer.core.solve import RHO, AccountSolver

MAX_ROUNDS = 10  # re-solves after the first: κ, same-night wash sales, drops together
MAX_DROP_ROUNDS = 1


@dataclass
class _Run:
    """The mutable state of one account's solves. `baseline` is the formulation before any
    relaxation, so that what was relaxed is always reported against the settings' limits."""

    solver: AccountSolver
    baseline: Formulation
    formulation: Formulation
    solution: Solution
    iterations: int = 0
    osqp_time: float = 0.0

    def record(self, solution: Solution) -> None:
        self.iterations += solution.iterations
        self.osqp_time += solution.run_time if solution.solver == "osqp" else 0.0

    def resolve(self, formulation: Formulation) -> Solution:
        self.solver.update(formulation)
        solution = self.solver.solve()
        self.record(solution)
        return solution

    def accept(self, formulation: Formulation, solution: Solution) -> None:
        self.formulation, self.solution = formulation, solution

    def resolve_relaxing(self, formulation: Formulation) -> bool:
        """Solve `formulation`; if the rules it adds make it infeasible, relax the limits in
        the documented order and solve that. True (and accepted) when a solution came out."""
        solution = self.resolve(formulation)
        if solution.status == SolveStatus.INFEASIBLE:
            try:
                formulation, _ = relax(formulation, baseline=self.baseline)
            except Infeasible:
                return False
            solution = self.resolve(formulation)
            if solution.status == SolveStatus.INFEASIBLE:
                # OSQP's certificate disagrees with the LP that found it feasible: ask Clarabel.
                solution = clarabel(formulation)
        if not solution.solved:
            return False
        self.accept(formulation, solution)
        return True

    @property
    def relaxations(self) -> tuple[Relaxation, ...]:
        return report(self.baseline, self.formulation)


def clarabel(formulation: Formulation) -> Solution:
    """The reference solved by Clarabel (cvxpy loads only when an account needs it)."""
    from optimizer.core import reference

    return reference.solve(formulation, accept_inaccurate=True)


def trade_trigger(f: Formulation, calibration: Calibration) -> list[str]:
    """Why the account needs the optimizer tonight; empty when it is inside its bands and
    nothing forces a trade."""
    reasons: list[str] = []
    if f.forced.any():
        reasons.append("restricted or excluded holdings to sell")
    if f.cash < f.cash_minimum - TINY:
        reasons.append("cash to raise")
    if tracking_error(f, f.held) > calibration.tracking_error_band:
        reasons.append("tracking error above its band")
    class_weight = np.bincount(f.asset_class, f.held, minlength=len(f.asset_classes))
    if (np.abs(class_weight - f.class_target) > f.class_band).any():
        reasons.append("an asset class outside its band")
    if f.cash - (1 - f.target.sum()) > calibration.asset_class_band:
        reasons.append("spare cash beyond the band")
    round_trip = f.buy_cost[f.lot_security] + f.sell_cost[f.lot_security]
    if ((f.sell_upper > 0) & (f.lot_tax + round_trip < 0)).any():
        reasons.append("losses to harvest")
    return reasons


def harvest_candidates(f: Formulation) -> BoolArray:
    """Securities whose identical group holds a lot worth harvesting (its tax benefit beats a
    round trip's cost) in a taxable account: their buys start blocked, because a harvest and
    a buy back the same night is a wash sale and the optimizer is expected to harvest."""
    if not f.taxable or f.m == 0:
        return np.zeros(f.n, dtype=bool)
    round_trip = f.buy_cost[f.lot_security] + f.sell_cost[f.lot_security]
    worth = (f.sell_upper > 0) & (f.lot_tax + round_trip < 0)
    groups = np.zeros(int(f.wash_group.max()) + 1, dtype=bool)
    groups[f.wash_group[f.lot_security[worth]]] = True
    return np.asarray(groups[f.wash_group] & (f.buy_upper > 0))


def _needless_blocks(f: Formulation, solution: Solution, minimum_trade: float) -> BoolArray:
    """Securities blocked for a same-night loss sale that did not happen, whose block binds
    enough that the buy it holds back would be actionable: the harvest was not worth it, so
    the buy may go ahead and the group's loss lots are kept instead.

    A blocked buy's dual d is the objective's slope at zero; with curvature 2κ·Σ_ii the buy it
    holds back is about d / (2κ·Σ_ii), so unblocking is worth a re-solve only when that is at
    least the minimum trade (and at least a dollar).
    """
    blocked = np.array([rule == Rule.OWN_LOSS_SALE for rule in f.buy_rule], dtype=bool)
    if not blocked.any():
        return blocked
    loss_sales = (solution.s > TINY) & (f.lot_gain < 0)
    groups_sold = np.zeros(int(f.wash_group.max()) + 1, dtype=bool)
    groups_sold[f.wash_group[f.lot_security[loss_sales]]] = True
    curvature = 2 * f.kappa * np.maximum(f.own_variance(), 1e-12)  # a riskless security: flat
    held_back = solution.duals[rows_of(f).buys] / curvature * f.value
    wanted = (solution.duals[rows_of(f).buys] > DUAL_TOLERANCE) & (
        held_back >= max(minimum_trade, 1.0))
    return np.asarray(blocked & wanted & ~groups_sold[f.wash_group])


def _wash_conflicts(f: Formulation, solution: Solution) -> BoolArray:
    """Securities whose identical group the solution both sells at a loss and buys, in a
    taxable account: their buys must be blocked (the loss sale is the one that has a reason)."""
    if not f.taxable or f.m == 0:
        return np.zeros(f.n, dtype=bool)
    loss_sales = (solution.s > TINY) & (f.lot_gain < 0)
    groups_sold = np.zeros(int(f.wash_group.max()) + 1, dtype=bool)
    groups_sold[f.wash_group[f.lot_security[loss_sales]]] = True
    buys = f.buys(solution.s, solution.z) > TINY
    return np.asarray(buys & groups_sold[f.wash_group])


def _only_unblocking(f: Formulation, ruled: Formulation, needless: BoolArray) -> bool:
    """Whether the round would re-solve only to unblock needless harvest blocks."""
    return bool(needless.any()) and ruled.ticket_reserve == f.ticket_reserve


def _ticket_reserve(f: Formulation, solution: Solution, ticket: float) -> float | None:
    """The cash to hold back for ticket charges when the cash row binds and the current
    reserve does not cover one ticket per security the solution trades; else None."""
    if ticket <= 0 or solution.duals[rows_of(f).cash] <= DUAL_TOLERANCE:
        return None
    traded = int(((f.buys(solution.s, solution.z) > TINY) | (f.sold(solution.s) > TINY)).sum())
    needed = ticket * traded / f.value
    return needed if needed > f.ticket_reserve + 1e-12 else None


def _kappa_for_band(f: Formulation, calibration: Calibration, solution: Solution,
                    previous: float | None) -> float | None:
    """A larger κ when the solution's tracking error is above the band and κ may still rise.

    `previous` is the tracking error before the last raise: when raising κ bought less than a
    5% improvement, the rules and limits are what hold tracking error up, not κ, so it stops.
    """
    te = tracking_error(f, f.held + solution.z)
    band = calibration.tracking_error_band
    if te <= band * (1 + 1e-6) or f.kappa >= calibration.kappa_max:
        return None
    if previous is not None and te > previous * (1 - KAPPA_ESCALATION_MIN_GAIN):
        return None
    return min(calibration.kappa_max, f.kappa * (te / band) ** 2 * KAPPA_ESCALATION_STEP)


def _refine(run: _Run, calibration: Calibration, *, ticket: float) -> list[str]:
    """Step 5: re-solve until the band is met, no same-night wash sale is left and every trade
    is actionable. Every change the current solution calls for goes into one re-solve (a κ
    change waits for the drops until the next round, as it moves the solution). Returns notes
    for what could not be done."""
    notes: list[str] = []
    kappa_rounds = drop_rounds = 0
    dropping = True
    before_raise: float | None = None
    for round_number in range(MAX_ROUNDS):
        f, solution = run.formulation, run.solution
        ruled = f  # the changes of hard rules (same-night wash sales) alone
        needless = _needless_blocks(f, solution, float(calibration.minimum_trade))
        if needless.any():
            groups = np.zeros(int(f.wash_group.max()) + 1, dtype=bool)
            groups[f.wash_group[needless]] = True
            loss_lots = groups[f.wash_group[f.lot_security]] & (f.lot_gain < 0)
            ruled = ruled.unblock_buys(needless, Rule.OWN_LOSS_SALE).block_sales(
                loss_lots, Rule.OWN_PURCHASE)
        conflicts = _wash_conflicts(f, solution)
        if conflicts.any():
            ruled = ruled.block_buys(conflicts, Rule.OWN_LOSS_SALE)
        reserve = _ticket_reserve(f, solution, ticket)
        if reserve is not None:
            ruled = replace(ruled, ticket_reserve=reserve)
        trial = ruled
        kappa = (_kappa_for_band(f, calibration, solution, before_raise)
                 if kappa_rounds < KAPPA_ESCALATION_ROUNDS else None)
        if kappa is not None:
            kappa_rounds += 1
            before_raise = tracking_error(f, f.held + solution.z)
            trial = ruled = replace(ruled, kappa=kappa)
        elif dropping and drop_rounds < MAX_DROP_ROUNDS:
            shares = to_shares(f, solution, fractional=calibration.fractional_shares)
            drops = unactionable(f, solution, shares, calibration, ticket=ticket)
            if drops.any:
                drop_rounds += 1
                trial = apply_drops(ruled, drops)
        if trial is f:
            break
        if round_number > 0 and trial is ruled and not conflicts.any() and kappa is None \
                and _only_unblocking(f, ruled, needless):
            # Unblocking a buy a harvest did not need only improves the result a little; it
            # rides along with the first round's re-solve, and is not worth one of its own.
            break
        if trial is not ruled:
            trial_solution = run.resolve(trial)
            if trial_solution.solved:
                run.accept(trial, trial_solution)
                continue
            # Without those small trades the rest cannot be met: they stay.
            dropping = False
            if ruled is f:
                run.solver.update(f)
                break
        if not run.resolve_relaxing(ruled):
            run.solver.update(run.formulation)
            break
    te = tracking_error(run.formulation, run.formulation.held + run.solution.z)
    if te > calibration.tracking_error_band * (1 + 1e-3):
        notes.append(f"Tracking error stays at {te:.2%}, above the "
                     f"{calibration.tracking_error_band:.1%} band: the account's rules and "
                     f"limits (restrictions, do-not-sell lots, wash-sale windows, the gain "
                     f"budget, the turnover cap) keep it there.")
    return notes


def _rounding_relaxations(f: Formulation, shares: Shares, *, ticket: float,
                          ) -> tuple[Formulation, list[str]]:
    """When whole shares cannot meet the turnover cap or the gain budget exactly (the
    continuous solution sat on them and another constraint, such as cash, needed the share
    rounding took away), those two — first in the relaxation order — give by the rounding;
    the cash target gives last, by what the repair could not find (ticket charges on a book
    whose every other lot a rule keeps)."""
    notes: list[str] = []
    actual = turnover(f, shares)
    if actual > f.turnover_cap + MONEY_TOLERANCE / f.value:
        notes.append(f"Rounding to whole shares took turnover to {actual:.2%}, just over the "
                     f"{f.turnover_cap:.2%} allowed.")
        f = replace(f, turnover_cap=actual + MONEY_TOLERANCE / f.value)
    gain = realized_gain(f, shares) / f.value
    if gain > f.gain_budget + MONEY_TOLERANCE / f.value:
        notes.append(f"Rounding to whole shares realized ${gain * f.value:,.0f} of net gain, "
                     f"just over the ${f.gain_budget * f.value:,.0f} allowed.")
        f = replace(f, gain_budget=gain + MONEY_TOLERANCE / f.value)
    cash = cash_after(f, shares, ticket=ticket) / f.value
    if cash < f.cash_minimum - MONEY_TOLERANCE / f.value:
        notes.append(f"Ticket charges and whole shares leave ${cash * f.value:,.0f} of cash, "
                     f"just under the ${f.cash_minimum * f.value:,.0f} target.")
        f = replace(f, cash_minimum=cash - MONEY_TOLERANCE / f.value)
    return f, notes


def _empty_trade_metrics() -> TradeMetrics:
    zero = Decimal(0)
    return TradeMetrics(turnover=0.0, bought=zero, sold=zero, short_term_gains=zero,
                        short_term_losses=zero, long_term_gains=zero, long_term_losses=zero,
                        estimated_tax=zero, losses_harvested=zero, trading_cost=zero,
                        cost_benefit_score=None)


def _summary(trades: tuple[ProposedTrade, ...], before: PortfolioMetrics,
             after: PortfolioMetrics, totals: TradeMetrics) -> str:
    text = (f"{len(trades)} trade{'s' if len(trades) != 1 else ''}: tracking error "
            f"{before.tracking_error:.2%} → {after.tracking_error:.2%}, turnover "
            f"{totals.turnover:.1%}")
    if totals.estimated_tax:
        text += f", estimated tax ${totals.estimated_tax:,.0f}"
    if totals.losses_harvested:
        text += f", ${totals.losses_harvested:,.0f} of losses harvested"
    return text + "."


def analyze(snapshot: AccountSnapshot, target: Target, settings: Settings,
            risk: RiskModelSlice, *, securities: Mapping[str, Security], costs: Costs,
            tax_rates: TaxRates, trade_date: date, wash_windows: Sequence[WashWindow] = (),
            open_orders: Sequence[OpenOrder] = (), rho: float = RHO) -> Analysis:
    """Analyze one account on `trade_date` and propose its trades.

    `securities` covers every security the account holds, is targeted at, or may buy as an
    equivalent (prices, asset classes, identical groups); `risk` is the risk-model slice of
    the date, built once and shared by every account of the run; `wash_windows` are the tax
    entity's, with tonight's proposals in its other accounts already in them; `open_orders`
    are the account's orders from earlier days still open. `rho` is OSQP's starting step size.
    """
    calibration = calibrate(settings, taxable=snapshot.is_taxable)
    f = formulate(snapshot=snapshot, target=target, settings=settings, calibration=calibration,
                  securities=securities, risk=risk, costs=costs, tax_rates=tax_rates,
                  wash_windows=wash_windows, open_orders=open_orders, trade_date=trade_date)
    before = portfolio(f, f.held, f.cash_dollars, f.value_dollars)
    ticket = float(costs.ticket_charge)

    def finish(status: AnalysisStatus, summary: str, *, notes: Sequence[str] = (),
               relaxations: tuple[Relaxation, ...] = (), report: SolverReport | None = None,
               ) -> Analysis:
        return Analysis(account=snapshot.account, trade_date=trade_date, status=status,
                        summary=summary, trades=(), before=before, after=before,
                        trade_metrics=_empty_trade_metrics(), relaxations=relaxations,
                        notes=(*f.notes, *notes), calibration=calibration,
                        solver=report or SolverReport("none", "not solved", 0, 0, 0.0,
                                                      f.kappa))

    triggers = trade_trigger(f, calibration) if f.n else []
    if not triggers:
        return finish(AnalysisStatus.NO_TRADES,
                      f"Inside its bands (tracking error {before.tracking_error:.2%} within "
                      f"{calibration.tracking_error_band:.1%}, largest drift "
                      f"{before.largest_drift:.1%} within ±{calibration.asset_class_band:.1%})"
                      f" and nothing forces a trade: no trades.")

    harvest = harvest_candidates(f)
    if harvest.any():
        f = f.block_buys(harvest, Rule.OWN_LOSS_SALE)
    solver = AccountSolver(f, rho=rho)
    first = solver.solve()
    run = _Run(solver=solver, baseline=f, formulation=f, solution=first)
    run.record(first)
    if first.status == SolveStatus.INFEASIBLE:
        try:
            relaxed, _ = relax(f)
        except Infeasible as error:
            return finish(AnalysisStatus.FAILED, f"No trades: the rules cannot all be met "
                          f"({error}).", report=_report(run))
        solution = run.resolve(relaxed)
        if not solution.solved:
            solution = clarabel(relaxed)
        run.accept(relaxed, solution)
    if not run.solution.solved:
        return finish(AnalysisStatus.FAILED,
                      f"No trades: the optimizer could not solve the account "
                      f"({run.solution.detail or run.solution.status}).",
                      relaxations=run.relaxations, report=_report(run))

    notes = _refine(run, calibration, ticket=ticket)
    f, solution = run.formulation, run.solution
    fractional = calibration.fractional_shares
    minimum_trade = float(calibration.minimum_trade)
    shares = to_shares(f, solution, fractional=fractional)
    shares = without(f, shares, unactionable(f, solution, shares, calibration, ticket=ticket))
    buy_scores, _ = score(f, shares, ticket=ticket)
    shares = repair(f, shares, ticket=ticket, fractional=fractional,
                    minimum_trade=minimum_trade, buy_rank=buy_scores.score)
    f, rounding_notes = _rounding_relaxations(f, shares, ticket=ticket)
    notes.extend(rounding_notes)
    relaxations = report(run.baseline, f)
    problems = violations(f, shares, ticket=ticket, fractional=fractional,
                          minimum_trade=minimum_trade)
    if problems:
        return finish(AnalysisStatus.FAILED,
                      "No trades: after rounding, the trades would break a rule "
                      f"({'; '.join(problems)}).", notes=notes, relaxations=relaxations,
                      report=_report(run))
    buy_scores, sell_scores = score(f, shares, ticket=ticket)
    trades = explain(f, solution, shares, buy_scores, sell_scores, settings=settings,
                     tax_rates=tax_rates)
    totals = trade_metrics(f, trades) if trades else _empty_trade_metrics()
    # Money at the edge in Decimal: the trades' own values and costs (tickets included).
    cash = f.cash_dollars + totals.sold - totals.bought - totals.trading_cost
    value = f.value_dollars - totals.trading_cost
    after = portfolio(f, weights_after(f, shares), cash, value)
    if not trades:
        return finish(AnalysisStatus.NO_TRADES, "No trade's benefit covers its cost: no trades.",
                      notes=notes, relaxations=relaxations, report=_report(run))
    status = AnalysisStatus.RELAXED if relaxations else AnalysisStatus.TRADES
    return Analysis(account=snapshot.account, trade_date=trade_date, status=status,
                    summary=_summary(trades, before, after, totals), trades=trades,
                    before=before, after=after, trade_metrics=totals,
                    relaxations=relaxations, notes=(*f.notes, *notes),
                    calibration=calibration, solver=_report(run))


def _report(run: _Run) -> SolverReport:
    return SolverReport(solver=run.solution.solver, status=str(run.solution.status),
                        solves=run.solver.solves, iterations=run.iterations,
                        osqp_run_time=run.osqp_time, kappa=run.formulation.kappa)


