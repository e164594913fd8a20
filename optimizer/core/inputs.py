"""What the optimizer core is given: frozen dataclasses, money in `Decimal`, risk in numpy.

The app builds these from the database (snapshots, effective settings, the resolved target, the
risk model of the date, open orders, the tax entity's wash-sale windows) and the core never reads
anything else: no ORM, no Django settings, no clock. The trade date comes in as an argument.

Conventions shared by every module of the core:
- a security is named by its `key` (whatever the caller uses, unique within one run);
- money (prices, bases, cash, dollar settings) is `Decimal` here and in the output; inside the
  core everything is a float fraction of the account's value;
- target weights are floats, fractions of the account value; what they leave over is model cash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ZERO = Decimal(0)


class TaxStatus(StrEnum):
    """How the account is taxed (the accounts feed's `tax_status`)."""

    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


class Term(StrEnum):
    """Short or long term, for the rate a lot's gain is taxed at."""

    SHORT = "short"
    LONG = "long"


class Side(StrEnum):
    """The direction of a trade or an open order."""

    BUY = "buy"
    SELL = "sell"


class TaxSensitivity(StrEnum):
    """How much the client minds realizing gains (plain-English setting, DESIGN §7)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MAXIMUM = "maximum"


class Tracking(StrEnum):
    """How closely to track the target (plain-English setting, DESIGN §7)."""

    TIGHT = "tight"
    NORMAL = "normal"
    LOOSE = "loose"


class RestrictedPolicy(StrEnum):
    """What the firm does with a held security that a restriction list names."""

    SELL_ALL = "sell_all"  # sell it down to zero (unless a hard rule keeps a lot)
    NO_BUYS = "no_buys"  # keep what is held, never buy more


@dataclass(frozen=True)
class Security:
    """A security the account holds, is targeted at, or may buy as an equivalent.

    Invariant: `price > 0`. `identical_group` is the security master's group of substantially
    identical securities (share classes of one fund) that the wash-sale rules use; empty when
    the security is in none, and then the security is its own group.
    """

    key: str
    symbol: str
    price: Decimal
    asset_class: str
    identical_group: str = ""

    def __post_init__(self) -> None:
        if self.price <= 0:
            raise ValueError(f"{self.symbol}: price {self.price} must be positive")

    @property
    def wash_key(self) -> str:
        """The key under which substantially identical securities meet for wash sales."""
        return self.identical_group or self.key


@dataclass(frozen=True)
class Lot:
    """An open tax lot, with the wash-sale overlay already applied by the app.

    `cost_basis` is the lot's total basis (overlay included). `long_term_from` is the first
    sale date on which the lot is long-term; the app computes it with
    `accounts.tax.holding_period.long_term_from` (which owns the one-year rule, leap days and
    carried holding periods), so the core never re-implements it and cannot disagree with it.
    Invariant: `quantity > 0`, `cost_basis >= 0`.
    """

    lot_id: str
    security: str
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    long_term_from: date

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"lot {self.lot_id}: quantity {self.quantity} must be positive")
        if self.cost_basis < 0:
            raise ValueError(f"lot {self.lot_id}: cost basis {self.cost_basis} is negative")

    def term_on(self, day: date) -> Term:
        """The term of a sale on `day`: long from `long_term_from` on, short before."""
        return Term.LONG if day >= self.long_term_from else Term.SHORT


@dataclass(frozen=True)
class AccountSnapshot:
    """One account as of its latest custodian snapshot: cash and open lots."""

    account: str
    tax_status: TaxStatus
    cash: Decimal
    lots: tuple[Lot, ...]

    @property
    def is_taxable(self) -> bool:
        return self.tax_status == TaxStatus.TAXABLE


@dataclass(frozen=True)
class EquivalenceSet:
    """Securities that are acceptable substitutes for a target (SPY, IVV, VOO).

    A target on one member is satisfied by holding any member. Members are in the IPC's order
    of preference; the target member is the model's choice, and the optimizer buys it when it
    can (alternatives carry a token extra cost so ties go to the model).
    """

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """The resolved target: security weights (fractions of account value) and sets.

    Invariant: weights are non-negative and add up to at most 1; the rest is model cash.
    """

    weights: Mapping[str, float]
    equivalence_sets: tuple[EquivalenceSet, ...] = ()

    def __post_init__(self) -> None:
        total = sum(self.weights.values())
        if any(weight < 0 for weight in self.weights.values()) or total > 1 + 1e-9:
            raise ValueError(f"target weights must be non-negative and add to at most 1 "
                             f"(they add to {total})")


@dataclass(frozen=True)
class Settings:
    """An account's effective settings in plain English (DESIGN §7), as the app resolved them.

    `calibration.calibrate` turns them into the optimizer's numbers. Dollar amounts are
    `Decimal`; sets name security keys, except `excluded_asset_classes` (asset-class names).
    - `minimum_loss`: a lot's whole loss, in dollars, below which it is not worth harvesting;
    - `gain_budget_remaining`: what is left this year of the annual net realized gain budget
      (None: no budget);
    - `cash_to_keep` + `cash_to_raise`: the cash the account must hold after trading;
    - `restricted`: held securities a restriction list names, handled per `restricted_policy`;
    - `minimum_trade`: dollars; `turnover_cap`: one-way, (buys + sells) / 2, as a fraction of
      the account (None: no cap); `cost_benefit_threshold`: the firm's bar for a trade's
      benefit over its cost.
    """

    tax_sensitivity: TaxSensitivity = TaxSensitivity.MEDIUM
    tracking: Tracking = Tracking.NORMAL
    loss_harvesting: bool = True
    minimum_loss: Decimal = ZERO
    gain_budget_remaining: Decimal | None = None
    cash_to_keep: Decimal = ZERO
    cash_to_raise: Decimal = ZERO
    do_not_buy: frozenset[str] = frozenset()
    do_not_sell: frozenset[str] = frozenset()
    do_not_trade: frozenset[str] = frozenset()
    restricted: frozenset[str] = frozenset()
    restricted_policy: RestrictedPolicy = RestrictedPolicy.SELL_ALL
    excluded_asset_classes: frozenset[str] = frozenset()
    minimum_trade: Decimal = ZERO
    fractional_shares: bool = False
    turnover_cap: float | None = None
    cost_benefit_threshold: float = 1.0


@dataclass(frozen=True)
class TaxRates:
    """The tax entity's combined marginal rates (federal, state, NIIT where it applies)."""

    short_term: float
    long_term: float

    def __post_init__(self) -> None:
        if not (0 <= self.short_term < 1 and 0 <= self.long_term < 1):
            raise ValueError("tax rates are fractions in [0, 1)")


@dataclass(frozen=True)
class Costs:
    """Trading costs from the account's commission schedule and the securities' spreads.

    `commission_rate` and the half-spreads are fractions of the trade's value; the ticket
    charge is per trade (per security and side) and is not convex, so it is left out of the
    quadratic program and charged in the cost/benefit score and the cash check instead.
    """

    commission_rate: float = 0.0
    ticket_charge: Decimal = ZERO
    half_spread: Mapping[str, float] = field(default_factory=dict)
    default_half_spread: float = 0.0005

    def rate(self, security: str) -> float:
        """The proportional cost of trading one dollar of `security`."""
        return self.commission_rate + self.half_spread.get(security, self.default_half_spread)


@dataclass(frozen=True)
class OpenOrder:
    """An order from an earlier day not yet filled or cancelled (passed in by the workflow).

    Netted into the position as if it filled at today's price; a sell names the lot it
    relieves (`lot_id`), or relieves the highest-cost lots when it names none.
    """

    security: str
    side: Side
    shares: Decimal
    lot_id: str = ""


@dataclass(frozen=True)
class WashWindow:
    """The tax entity's wash-sale window for one identical group (or lone security).

    From `accounts.tax.wash_sales.WashSaleWindow`, plus tonight's proposals in the entity's other
    accounts: no buy of the group on or before `buy_blocked_until`; no loss sale of a lot in a
    taxable account on or before its blocking date, which is `lot_loss_sale_blocked_until[lot]`
    when given (a lot is never washed by its own purchase) and `loss_sale_blocked_until`
    otherwise. `opened_by` says what opened the window, for the explanation.
    """

    key: str
    buy_blocked_until: date | None = None
    loss_sale_blocked_until: date | None = None
    lot_loss_sale_blocked_until: Mapping[str, date | None] = field(default_factory=dict)
    opened_by: str = ""

    def blocks_buy(self, day: date) -> bool:
        return self.buy_blocked_until is not None and day <= self.buy_blocked_until

    def loss_sale_blocked_until_for(self, lot_id: str) -> date | None:
        if lot_id in self.lot_loss_sale_blocked_until:
            return self.lot_loss_sale_blocked_until[lot_id]
        return self.loss_sale_blocked_until

    def blocks_loss_sale(self, lot_id: str, day: date) -> bool:
        until = self.loss_sale_blocked_until_for(lot_id)
        return until is not None and day <= until


@dataclass(frozen=True, eq=False)
class RiskModelSlice:
    """The factor risk model of one date over the firm's universe, built once and shared.

    Covariance of returns = X F Xᵀ + diag(δ²), annualized: `exposures` X is securities ×
    factors, `factor_covariance` F is factors × factors (positive definite), and
    `specific_variance` δ² is per security. The per-account problem only needs the columns of
    `factor_loadings` = Lᵀ Xᵀ (F = L Lᵀ) for its securities, so ‖Lᵀ Xᵀ v‖² = vᵀ X F Xᵀ v;
    it is computed once per slice (the Cholesky factor and the product), not per account.
    """

    as_of: date
    securities: tuple[str, ...]
    factors: tuple[str, ...]
    exposures: FloatArray
    factor_covariance: FloatArray
    specific_variance: FloatArray

    def __post_init__(self) -> None:
        count, factors = len(self.securities), len(self.factors)
        if self.exposures.shape != (count, factors):
            raise ValueError(f"exposures are {self.exposures.shape}, expected "
                             f"{(count, factors)}")
        if self.factor_covariance.shape != (factors, factors):
            raise ValueError("factor covariance must be factors × factors")
        if self.specific_variance.shape != (count,) or (self.specific_variance < 0).any():
            raise ValueError("specific variance must be one non-negative number per security")

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each security key in the slice."""
        return {key: position for position, key in enumerate(self.securities)}

    @cached_property
    def factor_loadings(self) -> FloatArray:
        """Lᵀ Xᵀ, factors × securities, C-contiguous for fast column gathers."""
        cholesky = np.linalg.cholesky(self.factor_covariance)
        return np.ascontiguousarray((self.exposures @ cholesky).T)

    def columns(self, keys: tuple[str, ...]) -> IntArray:
        """Positions of `keys` in the slice; a key the model does not cover raises KeyError,
        because an account must not be optimized against a risk it cannot see."""
        index = self.index
        try:
            return np.fromiter((index[key] for key in keys), dtype=np.int64, count=len(keys))
        except KeyError as missing:
            raise KeyError(f"security {missing.args[0]} is not in the risk model of "
                           f"{self.as_of}") from None
