"""Calibration: plain-English settings → the optimizer's numbers, within safe ranges.

The objective (DESIGN §8) is, in fractions of account value,

    κ · TE²  +  τ · Σ rate·gain·s (losses × loss scale)  +  Σ cost·trade

so κ prices tracking-error variance in account value and τ says how much a dollar of tax
weighs against a dollar of tracking cost. The tables below are the whole calibration.

How closely to track (`Tracking`):

| tracking | TE band | κ    | drift band | panel: TE after, max | panel: turnover min–median–max |
|----------|---------|------|------------|----------------------|--------------------------------|
| tight    | 0.5%    | 200  | ±1.5%      | 0.50%                | 0% – 11.9% – 19.1%             |
| normal   | 1.0%    | 50   | ±3.0%      | 0.92%                | 0% – 12.7% – 19.5%             |
| loose    | 2.0%    | 12.5 | ±5.0%      | 1.32%                | 0% – 0% – 19.6%                |

(TE: ex-ante, annualized, from the factor model; drift band: per asset class, after trading.)

κ is set so that sitting exactly on the band costs the same everywhere: κ·band² = 0.5% of the
account's value. The TE band is a promise, not a price: when the solution's ex-ante tracking
error is above the band, κ is raised (×(TE/band)²·1.2 per round, at most 64× the table value,
at most four rounds, and only while each raise still buys at least a 5% improvement) until it
is not, so tight / normal / loose end at most 0.5% / 1% / 2% wherever the hard constraints
allow (restrictions, wash-sale windows, do-not-sell lots, the gain budget, the turnover cap).
The drift bands are hard constraints on every asset class after trading (relaxed only as the
relaxation order says). An account inside both bands with nothing forcing a trade (cash to
raise, a restricted or excluded holding to sell, a loss worth harvesting) is left alone.

The "panel" columns are the fixed calibration panel (`synthetic.calibration_panel`: 24 accounts
on a 300-name index, taxable and tax-exempt, every tax sensitivity, loss harvesting on in half,
drifted by lognormal widths 0.15–0.45), turnover one-way, (buys + sells) / 2.
`tests/optimizer/core/test_calibration_panel.py` pins the bands and these figures
(`PANEL_TURNOVER`). Turnover barely falls from tight to normal because in the harvesting half
the swaps of loss lots, not tracking, make most of it; with harvesting off the medians are
11.3% / 7.0% / 0%, and loose trades in 2 of the 24 accounts only.

How much the client minds taxes (`TaxSensitivity`):

| tax sensitivity | τ    | meaning                                                    |
|-----------------|------|------------------------------------------------------------|
| none            | 0    | taxes ignored (lots still chosen highest-cost-first)       |
| low             | 0.25 | a dollar of tax weighs a quarter of a dollar of tracking   |
| medium          | 0.5  |                                                            |
| high            | 1.0  | a dollar of tax is a dollar                                |
| maximum         | 2.0  | tax counts double: defer gains unless tracking truly needs it |

Tax-deferred and tax-exempt accounts get τ = 0, no loss harvesting and no gain budget
whatever their settings say: their own trades pay no tax (their purchases still respect the
entity's wash-sale windows).

Loss harvesting: on → losses count as a benefit at the same τ (loss scale 1) for lots whose
loss is at least the minimum loss; off, or below the minimum → losses are neither a benefit nor
a cost (scale 0), so nothing is sold for its loss, and when something is sold for another
reason its loss lots still go first, because they carry no tax.

Limits and their safe ranges:

| setting                  | becomes                            | safe range            |
|--------------------------|------------------------------------|-----------------------|
| turnover cap             | (buys + sells) / 2 ≤ cap           | 1% – 100%, or none    |
| annual gain budget       | Σ gain·s ≤ what remains this year  | ≥ 0 dollars, or none  |
| minimum trade            | trades below it are dropped        | ≥ 0 dollars           |
| cost/benefit threshold   | trades scoring below it dropped    | 0 – 10                |
| minimum loss to harvest  | smaller losses get scale 0         | ≥ 0 dollars           |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from optimizer.core.inputs import ZERO, Settings, TaxSensitivity, Tracking

# κ·band² is the price of sitting on the band, in fractions of account value.
BAND_PRICE = 0.005
# Raising κ to meet the TE band: ×(TE/band)²·step per round, within the limit, for at most
# this many rounds, and only while a raise still improves tracking error by this much.
KAPPA_ESCALATION_LIMIT = 64.0
KAPPA_ESCALATION_ROUNDS = 4
KAPPA_ESCALATION_STEP = 1.2
KAPPA_ESCALATION_MIN_GAIN = 0.05

TRACKING_ERROR_BANDS: dict[Tracking, float] = {
    Tracking.TIGHT: 0.005,
    Tracking.NORMAL: 0.010,
    Tracking.LOOSE: 0.020,
}
ASSET_CLASS_BANDS: dict[Tracking, float] = {
    Tracking.TIGHT: 0.015,
    Tracking.NORMAL: 0.030,
    Tracking.LOOSE: 0.050,
}
TAX_WEIGHTS: dict[TaxSensitivity, float] = {
    TaxSensitivity.NONE: 0.0,
    TaxSensitivity.LOW: 0.25,
    TaxSensitivity.MEDIUM: 0.5,
    TaxSensitivity.HIGH: 1.0,
    TaxSensitivity.MAXIMUM: 2.0,
}
TURNOVER_CAP_RANGE = (0.01, 1.0)
# The calibration panel's one-way turnover per tracking setting: (min, median, max).
PANEL_TURNOVER: dict[Tracking, tuple[float, float, float]] = {
    Tracking.TIGHT: (0.0, 0.119, 0.191),
    Tracking.NORMAL: (0.0, 0.127, 0.195),
    Tracking.LOOSE: (0.0, 0.0, 0.196),
}
COST_BENEFIT_RANGE = (0.0, 10.0)


@dataclass(frozen=True)
class Calibration:
    """The numbers the optimizer runs with for one account, recorded with its analysis.

    Invariants: `kappa > 0`, `kappa <= kappa_max`, `tau >= 0`, `loss_scale` in [0, 1];
    `tau == 0` and `gain_budget is None` for an account that is not taxable.
    """

    tracking_error_band: float
    asset_class_band: float
    kappa: float
    kappa_max: float
    tau: float
    loss_scale: float
    minimum_loss: Decimal
    gain_budget: Decimal | None
    turnover_cap: float | None
    minimum_trade: Decimal
    cost_benefit_threshold: float
    fractional_shares: bool


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def kappa_for(tracking: Tracking) -> float:
    """κ from the tracking setting: κ·band² = BAND_PRICE."""
    band = TRACKING_ERROR_BANDS[tracking]
    return BAND_PRICE / band**2


def calibrate(settings: Settings, *, taxable: bool) -> Calibration:
    """The calibration of `settings` for a taxable (or tax-advantaged) account."""
    kappa = kappa_for(settings.tracking)
    return Calibration(
        tracking_error_band=TRACKING_ERROR_BANDS[settings.tracking],
        asset_class_band=ASSET_CLASS_BANDS[settings.tracking],
        kappa=kappa,
        kappa_max=kappa * KAPPA_ESCALATION_LIMIT,
        tau=TAX_WEIGHTS[settings.tax_sensitivity] if taxable else 0.0,
        loss_scale=1.0 if taxable and settings.loss_harvesting else 0.0,
        minimum_loss=max(settings.minimum_loss, ZERO),
        gain_budget=(max(settings.gain_budget_remaining, ZERO)
                     if taxable and settings.gain_budget_remaining is not None else None),
        turnover_cap=(_clamp(settings.turnover_cap, TURNOVER_CAP_RANGE)
                      if settings.turnover_cap is not None else None),
        minimum_trade=max(settings.minimum_trade, ZERO),
        cost_benefit_threshold=_clamp(settings.cost_benefit_threshold, COST_BENEFIT_RANGE),
        fractional_shares=settings.fractional_shares,
    )

