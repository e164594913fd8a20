"""The optimizer core: one account in, actionable and explained trades out (DESIGN §8).

Pure: dataclasses and arrays in, dataclasses out; no Django, no project imports, no clock (an
import-linter contract keeps it so). The app around it loads snapshots, settings, the resolved
target, the risk model of the date, open orders and the tax entity's wash-sale windows, calls
`analyze`, and stores what it returns.

    analysis = analyze(snapshot, target, settings, risk, securities=..., costs=...,
                       tax_rates=..., trade_date=..., wash_windows=..., open_orders=...)

Modules, in the order the pipeline uses them:
- `inputs`: what the core is given (frozen dataclasses; money in `Decimal`);
- `calibration`: plain-English settings → κ, τ, bands and limits (the documented table);
- `formulation`: the account's problem in numbers, rules as bounds;
- `problem`: the sparse OSQP matrices, two-sided bounds; `reference`: the same problem in
  cvxpy, solved by Clarabel in tests and as the fallback;
- `solve`: OSQP with polishing, warm re-solves, the fallback; `relaxation`: the documented
  relaxation order for conflicting settings;
- `postprocess`: shares, lots, minimum trade, cost/benefit, repair and re-check;
- `explain`: reason codes and sentences from the objective and the binding constraints;
- `metrics`: drift, tracking error, turnover, taxes, cash; `outputs`: what it returns;
- `wash`: tonight's proposals in the entity's other accounts added to its wash windows;
- `analyze`: the pipeline; `synthetic`: generated universes and accounts for tests and bench.
"""

from optimizer.core.analyze import analyze
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    Lot,
    OpenOrder,
    RestrictedPolicy,
    RiskModelSlice,
    Security,
    Settings,
    Side,
    Target,
    TaxRates,
    TaxSensitivity,
    TaxStatus,
    Term,
    Tracking,
    WashWindow,
)
from optimizer.core.outputs import (
    Analysis,
    AnalysisStatus,
    ClassDrift,
    LotRelief,
    PortfolioMetrics,
    ProposedTrade,
    ReasonCode,
    SolverReport,
    TradeMetrics,
)
from optimizer.core.relaxation import Limit, Relaxation
from optimizer.core.wash import SiblingTrade, sibling_trades, windows_with_proposals

__all__ = [
    "AccountSnapshot",
    "Analysis",
    "AnalysisStatus",
    "ClassDrift",
    "Costs",
    "EquivalenceSet",
    "Limit",
    "Lot",
    "LotRelief",
    "OpenOrder",
    "PortfolioMetrics",
    "ProposedTrade",
    "ReasonCode",
    "Relaxation",
    "RestrictedPolicy",
    "RiskModelSlice",
    "Security",
    "Settings",
    "SiblingTrade",
    "Side",
    "SolverReport",
    "Target",
    "TaxRates",
    "TaxSensitivity",
    "TaxStatus",
    "Term",
    "Tracking",
    "TradeMetrics",
    "WashWindow",
    "analyze",
    "sibling_trades",
    "windows_with_proposals",
]
