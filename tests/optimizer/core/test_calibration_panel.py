"""The calibration panel: tight / normal / loose keep ex-ante tracking error within 0.5% / 1% /
2% on a fixed panel of generated accounts, with the turnover documented in calibration.py."""

from __future__ import annotations

import statistics
from functools import cache

import pytest

from optimizer.core import synthetic
from optimizer.core.analyze import analyze
from optimizer.core.calibration import (
    ASSET_CLASS_BANDS,
    PANEL_TURNOVER,
    TRACKING_ERROR_BANDS,
    calibrate,
    kappa_for,
)
from optimizer.core.inputs import Costs, Settings, TaxRates, TaxSensitivity, Tracking
from optimizer.core.outputs import Analysis

RATES = TaxRates(short_term=0.408, long_term=0.238)


@cache
def panel_results(tracking: Tracking) -> tuple[Analysis, ...]:
    world, panel = synthetic.calibration_panel()
    return tuple(analyze(account.snapshot, account.target,
                         synthetic.with_tracking(account.settings, tracking), world.risk,
                         securities=world.securities, costs=Costs(), tax_rates=RATES,
                         trade_date=synthetic.TRADE_DATE) for account in panel)


@pytest.mark.parametrize("tracking", list(Tracking))
def test_tracking_error_ends_inside_the_band(tracking):
    band = TRACKING_ERROR_BANDS[tracking]
    for analysis in panel_results(tracking):
        # The panel has no rules or limits that could hold tracking error up.
        assert analysis.after.tracking_error <= band + 1e-4, analysis.account
        assert analysis.after.largest_drift <= ASSET_CLASS_BANDS[tracking] + 1e-4


@pytest.mark.parametrize("tracking", list(Tracking))
def test_turnover_is_what_the_calibration_table_says(tracking):
    low, median, high = PANEL_TURNOVER[tracking]
    turnover = [analysis.trade_metrics.turnover for analysis in panel_results(tracking)]
    assert min(turnover) == pytest.approx(low, abs=0.005)
    assert statistics.median(turnover) == pytest.approx(median, abs=0.005)
    assert max(turnover) == pytest.approx(high, abs=0.005)


def test_tighter_tracking_ends_closer_to_the_target():
    medians = [statistics.median(analysis.after.tracking_error
                                 for analysis in panel_results(tracking))
               for tracking in (Tracking.TIGHT, Tracking.NORMAL, Tracking.LOOSE)]
    assert medians == sorted(medians)


def test_kappa_prices_the_band_the_same_everywhere():
    for tracking in Tracking:
        assert kappa_for(tracking) * TRACKING_ERROR_BANDS[tracking] ** 2 == pytest.approx(0.005)


def test_tax_advantaged_accounts_get_no_tax_weight_whatever_their_settings():
    settings = Settings(tax_sensitivity=TaxSensitivity.MAXIMUM, loss_harvesting=True)
    assert calibrate(settings, taxable=True).tau == 2.0
    exempt = calibrate(settings, taxable=False)
    assert exempt.tau == 0.0 and exempt.loss_scale == 0.0 and exempt.gain_budget is None


def test_limits_are_kept_within_their_safe_ranges():
    calibration = calibrate(Settings(turnover_cap=0.0001, cost_benefit_threshold=50.0),
                            taxable=True)
    assert calibration.turnover_cap == 0.01
    assert calibration.cost_benefit_threshold == 10.0
