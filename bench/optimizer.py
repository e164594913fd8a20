"""How fast the optimizer core analyzes one account: `python bench/optimizer.py [runs]`.

The reference account of DESIGN §8 (`optimizer.core.synthetic.reference_account`): 150
positions in 400 lots, $1M, a 500-security universe with a 20-factor risk model, normal tracking,
medium tax sensitivity; every security of the universe is a candidate (the target is the
500-name index). One core: the BLAS thread pools are pinned to one thread before numpy loads.
Universe-level pieces (the Cholesky factor of F and Lᵀ Xᵀ) are built once, as they are once per
risk-model date and worker, and timed on their own.

Measures, each over many runs, medians:
(a) the whole per-account pipeline, `analyze`: build, solve, re-solves, post-processing,
    explanations, metrics (target: at most 15 ms);
(b) the first build + solve (formulate, the sparse matrices, OSQP setup and solve) against
    OSQP's own run time for it, setup + solve + polish as OSQP reports it (target: at most 2x);
(c) the same problem written as a plain cvxpy problem (`optimizer.core.reference`, the literal
    buys-and-lot-sales form) built and solved by OSQP through cvxpy at the same tolerances,
    against (b) (target: cvxpy at least 4x slower).
Ends with the line `core_ms=… vs_osqp=… vs_cvxpy=…`.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = "1"

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cvxpy as cp  # noqa: E402

from optimizer.core import reference, synthetic  # noqa: E402
from optimizer.core.analyze import analyze, harvest_candidates  # noqa: E402
from optimizer.core.calibration import calibrate  # noqa: E402
from optimizer.core.formulation import Rule, formulate  # noqa: E402
from optimizer.core.inputs import Costs, RiskModelSlice, TaxRates  # noqa: E402
from optimizer.core.solve import OSQP_SETTINGS, AccountSolver  # noqa: E402

RATES = TaxRates(short_term=0.408, long_term=0.238)
COSTS = Costs()


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:7.2f} ms"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    world, snapshot, target, settings = synthetic.reference_account()
    trade_date = synthetic.TRADE_DATE

    start = time.perf_counter()
    risk = RiskModelSlice(as_of=world.risk.as_of, securities=world.risk.securities,
                          factors=world.risk.factors, exposures=world.risk.exposures,
                          factor_covariance=world.risk.factor_covariance,
                          specific_variance=world.risk.specific_variance)
    _ = risk.factor_loadings, risk.index
    universe_seconds = time.perf_counter() - start

    def pipeline():
        return analyze(snapshot, target, settings, risk, securities=world.securities,
                       costs=COSTS, tax_rates=RATES, trade_date=trade_date)

    def first_build_and_solve():
        began = time.perf_counter()
        calibration = calibrate(settings, taxable=snapshot.is_taxable)
        formulation = formulate(
            snapshot=snapshot, target=target, settings=settings, calibration=calibration,
            securities=world.securities, risk=risk, costs=COSTS, tax_rates=RATES,
            wash_windows=(), open_orders=(), trade_date=trade_date)
        formulation = formulation.block_buys(harvest_candidates(formulation),
                                             Rule.OWN_LOSS_SALE)
        solution = AccountSolver(formulation).solve()
        return time.perf_counter() - began, solution, formulation

    for _ in range(5):  # warm up imports, caches and the allocator
        analysis = pipeline()
        first_build_and_solve()

    pipeline_times = []
    for _ in range(runs):
        began = time.perf_counter()
        analysis = pipeline()
        pipeline_times.append(time.perf_counter() - began)

    first_times, osqp_times, iterations = [], [], []
    for _ in range(runs):
        elapsed, solution, formulation = first_build_and_solve()
        assert solution.solver == "osqp" and solution.polished, solution.detail
        first_times.append(elapsed)
        osqp_times.append(solution.run_time)
        iterations.append(solution.iterations)

    cvxpy_times = []
    options = {"eps_abs": OSQP_SETTINGS["eps_abs"], "eps_rel": OSQP_SETTINGS["eps_rel"],
               "polishing": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(max(10, runs // 10)):
            began = time.perf_counter()
            plain = reference.solve(formulation, solver=cp.OSQP, **options)
            cvxpy_times.append(time.perf_counter() - began)
    assert plain.solved, plain.detail

    core = statistics.median(pipeline_times)
    first = statistics.median(first_times)
    osqp_run = statistics.median(osqp_times)
    through_cvxpy = statistics.median(cvxpy_times)
    print(f"reference account: {len(snapshot.lots)} lots in "
          f"{len({lot.security for lot in snapshot.lots})} positions, "
          f"{len(risk.securities)}-security universe, {len(risk.factors)} factors; "
          f"{formulation.n + formulation.m + formulation.k} variables, one core")
    print(f"universe pieces (Cholesky of F, Lᵀ Xᵀ), once per date: "
          f"{milliseconds(universe_seconds)}")
    print(f"(a) whole pipeline, median of {runs}:            {milliseconds(core)}"
          f"   (p90 {milliseconds(sorted(pipeline_times)[int(runs * 0.9)])}; "
          f"{analysis.solver.solves} solves, {len(analysis.trades)} trades)")
    print(f"(b) first build + solve, median:                 {milliseconds(first)}")
    print(f"    OSQP's own run time (setup+solve+polish):    {milliseconds(osqp_run)}"
          f"   ({statistics.median(iterations):.0f} iterations)")
    print(f"(c) same problem through cvxpy (OSQP, same eps): {milliseconds(through_cvxpy)}")
    print(f"objective: nightly {solution.objective:.10f}, cvxpy+OSQP {plain.objective:.10f}")
    print(f"core_ms={core * 1e3:.1f} vs_osqp={first / osqp_run:.2f} "
          f"vs_cvxpy={through_cvxpy / first:.1f}")


if __name__ == "__main__":
    main()
