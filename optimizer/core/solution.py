"""What a solve returns, whichever solver produced it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from optimizer.core.inputs import FloatArray


class SolveStatus(StrEnum):
    """Solved, proven infeasible, or failed (neither solver could say)."""

    SOLVED = "solved"
    INFEASIBLE = "infeasible"
    FAILED = "failed"


@dataclass(frozen=True, eq=False)
class Solution:
    """A solution in the formulation's variables, with OSQP-convention duals.

    `duals` has one entry per row of `problem.Rows`: positive when the row's upper bound is
    active, negative when its lower bound is, zero when neither binds. `objective` is the full
    objective (constant included) at (s, z). Times are seconds; for OSQP they are its own
    `info` figures (setup, solve, polish, run), zero when the solve was a warm re-solve's setup.
    """

    status: SolveStatus
    solver: str
    s: FloatArray
    z: FloatArray
    duals: FloatArray
    objective: float
    iterations: int = 0
    setup_time: float = 0.0
    solve_time: float = 0.0
    polish_time: float = 0.0
    run_time: float = 0.0
    polished: bool = False
    detail: str = ""

    @property
    def solved(self) -> bool:
        return self.status == SolveStatus.SOLVED


def unsolved(status: SolveStatus, solver: str, n: int, m: int, rows: int,
             detail: str = "") -> Solution:
    """A solution object for a problem that has none."""
    return Solution(status=status, solver=solver, s=np.zeros(m), z=np.zeros(n),
                    duals=np.zeros(rows), objective=float("nan"), detail=detail)
