"""Unsaved `Analysis` and `ProposedTrade` rows from what the core returned, for bulk writes."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.models import Analysis, ProposedTrade
from optimizer.tax_naive import NaiveShadow
from rebal.models import Firm

CENT = Decimal("0.01")


def _json(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


def _reason(reason: Any) -> Any:
    return _json(reason) if hasattr(reason, "__dataclass_fields__") else str(
        getattr(reason, "value", reason))


def analysis_row(*, firm: Firm, account_id: int, result: CoreAnalysis,
                 notes: tuple[str, ...] = (), naive: NaiveShadow | None = None) -> Analysis:
    """The `Analysis` row of `result` (not saved), with its tax-naive shadow when given."""
    row = Analysis(
        firm=firm, account_id=account_id, trade_date=result.trade_date,
        status=str(result.status), summary=result.summary, before=_json(result.before),
        after=_json(result.after), trade_metrics=_json(result.trade_metrics),
        relaxations=[_json(r) for r in result.relaxations], notes=[*notes, *result.notes],
        calibration=_json(result.calibration), solver=_json(result.solver))
    if naive is not None:
        row.naive_short_term_gain = naive.short_term_gain
        row.naive_long_term_gain = naive.long_term_gain
        row.naive_estimated_tax = naive.estimated_tax
        row.naive_turnover = naive.turnover
    return row


def trade_rows(*, firm: Firm, analysis: Analysis, result: CoreAnalysis) -> list[ProposedTrade]:
    """The `ProposedTrade` rows of `result`, for the saved `analysis` (not saved)."""
    return [ProposedTrade(
        firm=firm, analysis=analysis, security_id=int(trade.security), side=str(trade.side),
        shares=trade.shares, price=trade.price, value=trade.value.quantize(CENT),
        lots=[_json(lot) for lot in trade.lots], realized_gain=trade.realized_gain.quantize(CENT),
        estimated_tax=trade.estimated_tax.quantize(CENT),
        cost_benefit_score=trade.cost_benefit_score,
        reasons=[_reason(r) for r in trade.reasons], explanation=trade.explanation)
        for trade in result.trades]
