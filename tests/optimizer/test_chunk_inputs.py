"""The chunk's bulk loading gives every account the same inputs as the one-account path."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Transaction
from accounts.settings_catalog import parse_changes
from accounts.settings_resolution import SettingsRule
from optimizer.account_inputs import account_inputs
from optimizer.chunk_inputs import chunk_inputs
from rebal.firm_context import firm_context
from tests.optimizer.conftest import CHUNK_DEMO_DATE

pytestmark = pytest.mark.django_db


def _covariance(risk, keys):
    """The covariance the risk slice implies for `keys`: X F Xᵀ + diag(δ²)."""
    rows = risk.columns(tuple(keys))
    x = risk.exposures[rows]
    return x @ risk.factor_covariance @ x.T + np.diag(risk.specific_variance[rows])


def test_bulk_inputs_equal_the_single_account_inputs(chunk_demo):
    with firm_context(chunk_demo):
        accounts = list(Account.objects.order_by("tax_entity_id", "pk"))
        # The demo book traded in the wash-sale window: the engine's path is exercised.
        assert Transaction.objects.filter(type__in=["buy", "sell"]).exists()
        chunk = chunk_inputs([a.pk for a in accounts], CHUNK_DEMO_DATE)
        compared = windows = overlaid = 0
        for account, item in zip(accounts, chunk, strict=True):
            assert item.account_id == account.pk
            single = account_inputs(account, CHUNK_DEMO_DATE)
            if item.inputs is None:
                # Refused in the chunk: the single path would analyze it on a broken target.
                assert "cannot be resolved" in item.failure
                assert single.notes and "cannot be resolved" in single.notes[0]
                continue
            bulk = item.inputs
            assert bulk.snapshot == single.snapshot
            assert bulk.target == single.target
            assert bulk.settings == single.settings
            assert bulk.securities == single.securities
            assert bulk.costs == single.costs and bulk.tax_rates == single.tax_rates
            assert bulk.wash_windows == single.wash_windows
            assert bulk.notes == single.notes
            keys = sorted(single.securities, key=int)
            assert np.allclose(_covariance(bulk.risk, keys), _covariance(single.risk, keys),
                               rtol=1e-12, atol=1e-15)
            assert bulk.risk.as_of == single.risk.as_of
            compared += 1
            windows += bool(bulk.wash_windows)
            overlaid += any("#" in lot.lot_id for lot in bulk.snapshot.lots)
    assert compared >= 20
    assert windows, "some tax entities have wash-sale windows"


def test_a_chunk_costs_a_bounded_number_of_queries(chunk_demo):
    with firm_context(chunk_demo):
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        chunk_inputs(ids[:2], CHUNK_DEMO_DATE)  # the risk universe is built once per process
        with CaptureQueriesContext(connection) as few:
            chunk_inputs(ids[:2], CHUNK_DEMO_DATE)
        with CaptureQueriesContext(connection) as many:
            chunk_inputs(ids, CHUNK_DEMO_DATE)
    # The same queries whatever the chunk's size (the tax engine's base lots and groups only
    # when an entity traded in the window).
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
    assert len(many.captured_queries) <= 40


def test_the_settings_rules_covering_an_account_reach_its_inputs(chunk_demo):
    with firm_context(chunk_demo):
        ids = list(Account.objects.exclude(program_code="").order_by("pk")
                   .values_list("pk", flat=True)[:3])
        rule = SettingsRule(1, "Platinum clients",
                            parse_changes({"minimum_trade": "750"}, layer="rule"))
        chunk = chunk_inputs(ids, CHUNK_DEMO_DATE, rules={ids[0]: [rule]})
    minimums = [item.inputs.settings.minimum_trade for item in chunk]
    assert minimums[0] == Decimal("750")
    assert minimums[1] == minimums[2] == Decimal("100.00")
