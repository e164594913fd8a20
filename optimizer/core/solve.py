"""Solving one account: OSQP on the sparse problem, Clarabel through the reference as fallback.

One `AccountSolver` per account keeps OSQP's workspace (its factorization) across the night's
re-solves of that account: relaxing a limit, blocking a same-night wash sale or dropping
unactionable trades only changes row bounds, so OSQP re-solves warm from the last solution
without refactoring; raising κ rescales P's values in place.

Settings, and why:
- eps_abs = eps_rel = 1e-5 with polishing, on x in percent of account value (`problem.SCALE`):
  tax decisions need the exact active set (which lot, sold whole or not), and polishing recovers
  it from the ADMM iterate, so the polished objective agrees with an interior-point solver to
  about 1e-7 relative. When polishing does not succeed (degenerate problems: lots that tie,
  losses worth nothing with harvesting off) the solve continues, warm, at 1e-9: a few hundred
  more iterations, and the objective agrees to about 1e-10 (at 1e-7 it could still be 5e-4 off
  relative on a small, flat objective);
- rho = 0.1, adaptive: in percent units OSQP's default starting step is also the best one we
  measured (0.03–3 tried on the reference accounts, the calibration panel and small accounts:
  0.1 had the fewest iterations overall, 50–200);
- adaptive_rho_tolerance = 2 (OSQP's default 5 only moves rho when it is five times off):
  direct-index accounts of the nightly benchmark (575 lots, a 500-name target) start far from
  the best step and took 883 iterations on average with the default, 567 with 2 (1.5 and 1.2
  gain nothing more); model accounts are unchanged (130 iterations) and so is every tax-aware
  trade (without taxes, the shadow's choice between equivalent ETFs is a tie either way);
- anything but OSQP's own "solved" (inaccurate, iteration limit, a failed certificate) goes to
  Clarabel through `reference.solve`, which either solves it or proves it infeasible.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import osqp

from optimizer.core.formulation import Formulation
from optimizer.core.problem import (
    SCALE,
    QuadraticProgram,
    build,
    scaled_bounds,
    scaled_linear,
    split,
    stack,
)
from optimizer.core.solution import Solution, SolveStatus, unsolved

RHO = 0.1
REFINED_EPS = 1e-9
OSQP_SETTINGS: dict[str, Any] = {
    "eps_abs": 1e-5,
    "eps_rel": 1e-5,
    "polishing": True,
    "rho": RHO,
    "adaptive_rho": True,
    "adaptive_rho_tolerance": 2.0,
    # Well-posed accounts take 50–300 iterations; one that needs thousands is better handed
    # to Clarabel than iterated on.
    "max_iter": 4_000,
    "verbose": False,
}
SOLVED = osqp.SolverStatus.OSQP_SOLVED
PRIMAL_INFEASIBLE = {osqp.SolverStatus.OSQP_PRIMAL_INFEASIBLE}


class AccountSolver:
    """OSQP set up once for one account's problem; `update` then `solve` for each re-solve.

    Invariant: every formulation passed to `update` has the same securities, lots, factors and
    asset classes as the first (only bounds and κ change), so the sparsity pattern holds.
    """

    def __init__(self, formulation: Formulation, *, rho: float = RHO,
                 fallback: bool = True) -> None:
        self.formulation = formulation
        self.program: QuadraticProgram = build(formulation)
        self.fallback = fallback
        self.solves = 0
        self.osqp = osqp.OSQP()
        program = self.program
        self.osqp.setup(program.P, program.q, program.A, program.lower, program.upper,
                        **{**OSQP_SETTINGS, "rho": rho})
        self.constant = program.constant

    def update(self, formulation: Formulation) -> None:
        """Move to `formulation` (same shape): new bounds, and new P and q if κ changed."""
        lower, upper = scaled_bounds(formulation)
        if formulation.kappa != self.formulation.kappa:
            q, self.constant = scaled_linear(formulation)
            self.osqp.update(q=q, l=lower, u=upper,
                             Px=self.program.P_per_kappa * formulation.kappa)
        else:
            self.osqp.update(l=lower, u=upper)
        self.formulation = formulation

    def warm_start(self, solution: Solution) -> None:
        """Start the next solve from `solution` (primal and dual)."""
        x = stack(self.formulation, solution.s, solution.z)
        self.osqp.warm_start(x=x, y=solution.duals / SCALE)

    def solve(self) -> Solution:
        """OSQP's solution, or Clarabel's when OSQP does not report solved.

        A primal-infeasibility certificate from OSQP is taken at its word (the relaxation step
        then checks feasibility with an LP before anything is relaxed).
        """
        self.solves += 1
        result = self.osqp.solve(raise_error=False)
        info = result.info
        iterations, run_time = int(info.iter), float(info.run_time)
        if info.status_val == SOLVED and info.status_polish != 1:
            self.osqp.update_settings(eps_abs=REFINED_EPS, eps_rel=REFINED_EPS)
            result = self.osqp.solve(raise_error=False)
            self.osqp.update_settings(eps_abs=OSQP_SETTINGS["eps_abs"],
                                      eps_rel=OSQP_SETTINGS["eps_rel"])
            info = result.info
            iterations += int(info.iter)
            run_time += float(info.run_time)
        f = self.formulation
        if info.status_val == SOLVED:
            s, z = split(f, np.asarray(result.x))
            return Solution(status=SolveStatus.SOLVED, solver="osqp", s=s, z=z,
                            duals=np.asarray(result.y) * SCALE,
                            objective=float(info.obj_val) + self.constant,
                            iterations=iterations, setup_time=float(info.setup_time),
                            solve_time=float(info.solve_time),
                            polish_time=float(info.polish_time),
                            run_time=run_time, polished=info.status_polish == 1)
        if info.status_val in PRIMAL_INFEASIBLE:
            return replace(unsolved(SolveStatus.INFEASIBLE, "osqp", f.n, f.m,
                                    self.program.rows.count, info.status),
                           iterations=iterations, run_time=run_time)
        if not self.fallback:
            return unsolved(SolveStatus.FAILED, "osqp", f.n, f.m, self.program.rows.count,
                            info.status)
        # cvxpy is imported only here: a worker that never needs the fallback never loads it.
        from optimizer.core import reference

        fallback = reference.solve(f, accept_inaccurate=True)
        return replace(fallback, detail=f"OSQP: {info.status}; {fallback.detail}".rstrip("; "),
                       run_time=run_time + fallback.solve_time)
