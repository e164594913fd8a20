"""The nightly chunk: every account of a chunk analyzed or failed with a reason, stored in bulk,
with the tax-naive shadow for the accounts that trade; a tax entity's accounts see each other's
proposals."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from accounts.models import Account, TaxLot
from optimizer.account_inputs import account_inputs
from optimizer.chunk_analysis import chunk_analyze
from optimizer.core.analyze import analyze
from optimizer.models import Analysis
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.optimizer.conftest import CHUNK_DEMO_DATE

pytestmark = pytest.mark.django_db
BUSINESS_DATE = CHUNK_DEMO_DATE


def _stored_json(value):
    """`value` as a JSONField with DjangoJSONEncoder stores it and reads it back."""
    plain = [asdict(v) for v in value] if isinstance(value, list) and value and \
        is_dataclass(value[0]) else asdict(value) if is_dataclass(value) else value
    return json.loads(json.dumps(plain, cls=DjangoJSONEncoder))


def _accounts(firm) -> list[Account]:
    with firm_context(firm):
        return list(Account.objects.filter(status="open").exclude(program_code="")
                    .order_by("tax_entity_id", "account_number"))


def test_every_account_is_analyzed_and_stored_with_its_trades_and_shadow(chunk_demo):
    accounts = _accounts(chunk_demo)
    ids = [a.pk for a in accounts]
    with firm_context(chunk_demo), transaction.atomic():
        outcomes = chunk_analyze(account_ids=ids, as_of=BUSINESS_DATE)
        analyses = Analysis.objects.in_bulk([o.analysis_id for o in outcomes if o.analysis_id])
        trade_counts = {a.pk: a.trades.count() for a in analyses.values()}
    assert [o.account_id for o in outcomes] == ids
    assert all(o.analysis_id for o in outcomes), [o.failure for o in outcomes if o.failure]
    assert all(o.failure == "" for o in outcomes)
    trading = [analyses[o.analysis_id] for o in outcomes if trade_counts[o.analysis_id]]
    assert trading, "the demo book drifts: some accounts trade"
    for outcome, account in zip(outcomes, accounts, strict=True):
        stored = analyses[outcome.analysis_id]
        assert stored.account_id == account.pk and stored.trade_date == BUSINESS_DATE
        if trade_counts[stored.pk]:
            assert stored.naive_estimated_tax is not None and stored.naive_turnover > 0
            if account.tax_status != "taxable":
                assert stored.naive_estimated_tax == 0 == stored.naive_short_term_gain
        else:
            assert stored.naive_estimated_tax is None
    # Over the book, minding taxes realizes less tax than ignoring them.
    assert sum(a.naive_estimated_tax for a in trading) > sum(
        Decimal(a.trade_metrics["estimated_tax"]) for a in trading)


def test_an_account_alone_in_its_entity_gets_the_single_account_result(chunk_demo):
    accounts = [a for a in _accounts(chunk_demo) if a.tax_status == "taxable"]
    entity_sizes = {}
    for account in _accounts(chunk_demo):
        entity_sizes[account.tax_entity_id] = entity_sizes.get(account.tax_entity_id, 0) + 1
    alone = [a for a in accounts if entity_sizes[a.tax_entity_id] == 1][:3]
    assert alone
    with firm_context(chunk_demo), transaction.atomic():
        outcomes = chunk_analyze(account_ids=[a.pk for a in alone], as_of=BUSINESS_DATE)
        for outcome, account in zip(outcomes, alone, strict=True):
            inputs = account_inputs(account, BUSINESS_DATE)
            single = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(BUSINESS_DATE))
            stored = Analysis.objects.get(pk=outcome.analysis_id)
            trades = sorted((t.security_id, t.side, t.shares, t.lots, t.reasons)
                            for t in stored.trades.all())
            assert stored.status == single.status and stored.summary == single.summary
            # The bulk write stores what the model's JSON encoder would.
            assert (stored.before, stored.after, stored.trade_metrics, stored.calibration) == \
                tuple(_stored_json(part) for part in (single.before, single.after,
                                                      single.trade_metrics, single.calibration))
            assert trades == sorted((int(t.security), str(t.side), t.shares,
                                     _stored_json(list(t.lots)), _stored_json(list(t.reasons)))
                                    for t in single.trades)


def test_a_failing_account_gets_a_reason_and_the_rest_of_the_chunk_is_stored(chunk_demo):
    accounts = _accounts(chunk_demo)[:4]
    broken, bad_lot = accounts[1], accounts[2]
    with firm_context(chunk_demo):
        with audit_context(system_job="test"):
            broken.program_code = "NO-SUCH-PROGRAM"
            broken.save()
        # A custodian lot of no shares slipped through: the core refuses such a lot.
        lot = TaxLot.objects.filter(account=bad_lot).order_by("-lot_set_id", "pk").first()
        TaxLot.objects.create(firm=chunk_demo, lot_set_id=lot.lot_set_id, account=bad_lot,
                              security_id=lot.security_id, lot_id="EMPTY", quantity=0,
                              cost_basis=0, acquired_date=lot.acquired_date)
        with transaction.atomic():
            outcomes = chunk_analyze(account_ids=[a.pk for a in accounts] + [10**9],
                                     as_of=BUSINESS_DATE)
            stored = Analysis.objects.filter(account__in=accounts).count()
    assert [o.account_id for o in outcomes] == [a.pk for a in accounts] + [10**9]
    assert outcomes[1].analysis_id is None and "NO-SUCH-PROGRAM" in outcomes[1].failure
    assert outcomes[2].analysis_id is None and "must be positive" in outcomes[2].failure
    assert outcomes[-1].analysis_id is None and "not an account of this firm" in \
        outcomes[-1].failure
    assert all(o.analysis_id and not o.failure for o in (outcomes[0], outcomes[3]))
    assert stored == 2
