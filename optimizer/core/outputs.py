"""What the optimizer core returns: the analysis of one account, money in `Decimal`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from optimizer.core.calibration import Calibration
from optimizer.core.inputs import Side, Term
from optimizer.core.relaxation import Relaxation


class ReasonCode(StrEnum):
    """Why a trade is proposed; a trade carries one or more, the first is its main purpose.

    Each comes from the solution itself: the trade's share of the objective (tracking benefit,
    tax effect, cost) or a constraint that binds (non-zero dual) — never from a template
    chosen after the fact.
    """

    RESTRICTED = "restricted"  # a forced sale: the security is restricted (sell-all policy)
    EXCLUDED_ASSET_CLASS = "excluded_asset_class"  # a forced sale: its asset class is excluded
    RAISE_CASH = "raise_cash"  # the cash row binds and the account needs cash
    HARVEST_LOSS = "harvest_loss"  # the tax benefit of the loss is the larger part of the gain
    ASSET_CLASS_BAND = "asset_class_band"  # the class's band row binds
    TRACK_TARGET = "track_target"  # the tracking benefit is the larger part
    REPLACE_HARVESTED = "replace_harvested"  # a buy that keeps exposure a harvested sale left
    SUBSTITUTE = "substitute"  # a buy instead of a blocked security whose block binds
    INVEST_CASH = "invest_cash"  # a buy while the cash row binds with spare cash
    GAIN_BUDGET = "gain_budget"  # the annual gain budget binds
    TURNOVER_CAP = "turnover_cap"  # the turnover cap binds
    REALIZES_GAIN = "realizes_gain"  # a sale realizes a net gain (a cost accepted)


class AnalysisStatus(StrEnum):
    """The outcome for the account."""

    TRADES = "trades"  # actionable trades proposed, every limit met
    RELAXED = "relaxed"  # trades proposed after relaxing limits (see `relaxations`)
    NO_TRADES = "no_trades"  # inside the bands, or nothing worth its cost
    FAILED = "failed"  # no solver could solve it; the account needs a person


@dataclass(frozen=True)
class LotRelief:
    """Shares of one lot to relieve (the lot instruction sent with a sell order)."""

    lot_id: str
    acquired: date
    term: Term
    shares: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    gain: Decimal  # negative for a loss


@dataclass(frozen=True)
class ProposedTrade:
    """One actionable trade: whole shares (unless fractional shares are allowed).

    Invariants: `shares > 0`; a sell's `lots` add up to `shares`; a buy has no lots;
    `value == shares × price` to the cent. `tracking_benefit`, `tax_effect` and `trading_cost`
    are the trade's share of the objective in dollars (tax effect: τ-weighted, negative for a
    benefit); `cost_benefit_score` = benefit / cost (None when it costs nothing).
    """

    security: str
    symbol: str
    asset_class: str
    side: Side
    shares: Decimal
    price: Decimal
    value: Decimal
    lots: tuple[LotRelief, ...]
    realized_gain: Decimal
    estimated_tax: Decimal
    trading_cost: Decimal
    tracking_benefit: Decimal
    tax_effect: Decimal
    cost_benefit_score: float | None
    reasons: tuple[ReasonCode, ...]
    explanation: str


@dataclass(frozen=True)
class ClassDrift:
    """An asset class's weight against its target (fractions of account value)."""

    asset_class: str
    weight: float
    target: float

    @property
    def drift(self) -> float:
        return self.weight - self.target


@dataclass(frozen=True)
class PortfolioMetrics:
    """The account before or after the proposed trades (open orders netted in both)."""

    value: Decimal
    cash: Decimal
    tracking_error: float  # ex-ante, annualized, from the factor model
    drift: tuple[ClassDrift, ...]  # every asset class, then "Cash"

    @property
    def largest_drift(self) -> float:
        return max((abs(item.drift) for item in self.drift), default=0.0)


@dataclass(frozen=True)
class TradeMetrics:
    """What the proposed trades do, in dollars (turnover as a fraction: (buys + sells) / 2)."""

    turnover: float
    bought: Decimal
    sold: Decimal
    short_term_gains: Decimal
    short_term_losses: Decimal  # positive numbers
    long_term_gains: Decimal
    long_term_losses: Decimal
    estimated_tax: Decimal  # negative when the losses save tax
    losses_harvested: Decimal  # losses of the sales made to harvest them
    trading_cost: Decimal
    cost_benefit_score: float | None


@dataclass(frozen=True)
class SolverReport:
    """How the account was solved: for the record and for monitoring."""

    solver: str  # "osqp", or "clarabel" when the fallback ran
    status: str
    solves: int
    iterations: int
    osqp_run_time: float  # seconds, summed over the account's solves
    kappa: float  # the κ the final solve used (after any escalation)


@dataclass(frozen=True)
class Analysis:
    """The analysis of one account: status, trades with reasons, metrics, what was relaxed.

    Invariants: `status == NO_TRADES` exactly when `trades` is empty and nothing failed;
    `status == RELAXED` exactly when `relaxations` is not empty and trades were proposed.
    `summary` is one plain-English sentence for the account; `notes` say what rules kept
    (a restricted lot on do-not-sell, a forced sale inside a wash-sale window).
    """

    account: str
    trade_date: date
    status: AnalysisStatus
    summary: str
    trades: tuple[ProposedTrade, ...]
    before: PortfolioMetrics
    after: PortfolioMetrics
    trade_metrics: TradeMetrics
    relaxations: tuple[Relaxation, ...]
    notes: tuple[str, ...]
    calibration: Calibration
    solver: SolverReport
