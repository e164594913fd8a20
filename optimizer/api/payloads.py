"""Analyses as the API shows them: one shape for a stored analysis and for a what-if."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from optimizer.account_inputs import AccountInputs
from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.models import Analysis


def _plain(value: Any) -> Any:
    """Dataclasses, Decimals and dates as JSON values (money as strings, exact)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def stored_payload(analysis: Analysis) -> dict[str, Any]:
    trades = analysis.trades.select_related("security").order_by("side", "pk")
    return {
        "id": analysis.pk, "account_number": analysis.account.account_number,
        "trade_date": analysis.trade_date.isoformat(), "status": analysis.status,
        "summary": analysis.summary, "before": analysis.before, "after": analysis.after,
        "trade_metrics": analysis.trade_metrics, "relaxations": analysis.relaxations,
        "notes": analysis.notes, "solver": analysis.solver,
        "trades": [{
            "security": trade.security_id, "symbol": str(trade.security), "side": trade.side,
            "shares": str(trade.shares), "price": str(trade.price), "value": str(trade.value),
            "realized_gain": str(trade.realized_gain),
            "estimated_tax": str(trade.estimated_tax),
            "cost_benefit_score": trade.cost_benefit_score, "lots": trade.lots,
            "reasons": trade.reasons, "explanation": trade.explanation} for trade in trades]}


def what_if_payload(inputs: AccountInputs, result: CoreAnalysis) -> dict[str, Any]:
    return _plain({
        "account_number": result.account, "trade_date": result.trade_date,
        "status": result.status, "summary": result.summary, "before": asdict(result.before),
        "after": asdict(result.after), "trade_metrics": asdict(result.trade_metrics),
        "relaxations": [asdict(r) for r in result.relaxations],
        "notes": [*inputs.notes, *result.notes], "solver": asdict(result.solver),
        "trades": [{
            "security": int(trade.security), "symbol": trade.symbol, "side": trade.side,
            "shares": trade.shares, "price": trade.price, "value": trade.value,
            "realized_gain": trade.realized_gain, "estimated_tax": trade.estimated_tax,
            "cost_benefit_score": trade.cost_benefit_score,
            "lots": [asdict(lot) for lot in trade.lots], "reasons": list(trade.reasons),
            "explanation": trade.explanation} for trade in result.trades]})
