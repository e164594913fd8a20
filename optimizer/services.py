"""Writes of the optimizer room: analyze an account and store what was proposed; a what-if that
analyzes it under settings not yet saved."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Account
from accounts.services.settings import account_settings_update
from optimizer.account_inputs import AccountInputs, account_inputs
from optimizer.core.analyze import analyze
from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.models import Analysis, ProposedTrade
from optimizer.records import RecordInputs, record_fields
from rebal.firm_context import require_firm

CENT = Decimal("0.01")


def _json(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


def account_analyze(*, account: Account, as_of: date) -> Analysis:
    """Run the optimizer on the account's data as of `as_of` and store the analysis."""
    inputs = account_inputs(account, as_of)
    result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                     **inputs.analyze_kwargs(as_of))
    return analysis_store(account=account, inputs=inputs, result=result)


@transaction.atomic
def analysis_store(*, account: Account, inputs: AccountInputs, result: CoreAnalysis) -> Analysis:
    """Store an analysis already computed for `account` with its proposed trades, and its
    record of what it used (when the inputs carry their provenance)."""
    firm = require_firm()
    record = (record_fields(firm=firm, items=[RecordInputs(inputs.provenance,
                                                           inputs.wash_windows)])[0]
              if inputs.provenance is not None else None)
    analysis = Analysis.objects.create(
        firm=firm, account=account, trade_date=result.trade_date, status=str(result.status),
        summary=result.summary, before=_json(result.before), after=_json(result.after),
        trade_metrics=_json(result.trade_metrics),
        relaxations=[_json(r) for r in result.relaxations],
        notes=[*inputs.notes, *result.notes], calibration=_json(result.calibration),
        solver=_json(result.solver),
        **({} if record is None else {
            "settings_content_id": record.settings_content_id,
            "target_content_id": record.target_content_id, "lot_set_id": record.lot_set_id,
            "cash_balance_id": record.cash_balance_id, "sources": record.sources,
            "data_content_id": record.data_content_id}))
    ProposedTrade.objects.bulk_create([ProposedTrade(
        firm=firm, analysis=analysis, security_id=int(trade.security), side=str(trade.side),
        shares=trade.shares, price=trade.price, value=trade.value.quantize(CENT),
        lots=[_json(lot) for lot in trade.lots],
        realized_gain=trade.realized_gain.quantize(CENT),
        estimated_tax=trade.estimated_tax.quantize(CENT),
        cost_benefit_score=trade.cost_benefit_score,
        reasons=[str(getattr(r, "value", r)) if not hasattr(r, "__dataclass_fields__")
                 else _json(r) for r in trade.reasons],
        explanation=trade.explanation) for trade in result.trades])
    return analysis


@dataclass(frozen=True)
class WhatIf:
    """The analysis an account would get under settings changes that are not saved."""

    inputs: AccountInputs
    result: CoreAnalysis


def account_what_if(*, account: Account, as_of: date, changes: Mapping[str, Any],
                    clear: Iterable[str] = (), acting_user: Any) -> WhatIf:
    """Analyze `account` as if its settings were changed, without saving anything.

    The change goes through the same service as saving it (so it is refused for the same
    reasons, customization limits included) inside a savepoint that is always rolled back:
    the settings, the target they resolve to and their history are left as they were.
    """
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            account_settings_update(account=account, changes=changes, clear=clear,
                                    reason="what-if (not saved)", acting_user=acting_user)
            inputs = account_inputs(account, as_of)
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(as_of))
        finally:
            transaction.savepoint_rollback(savepoint)
    return WhatIf(inputs=inputs, result=result)
