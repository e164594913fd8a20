"""A record as a document: the one shape the API's detail, the page and the JSON export share.

Settings and target are named by their content hash (the export lists each content once);
data by lot set, cash balance, dates and feed files with their checksums (as recorded).
"""

from __future__ import annotations

from typing import Any

from optimizer.models import Analysis
from reports.selectors import RecordDetail
from workflow.models import TradeEvent


def _actor(event: TradeEvent) -> str:
    if event.actor_user_id:
        return str(event.actor_user.email)  # type: ignore[union-attr]
    if event.actor_token_id:
        return f"API token {event.actor_token.name}"  # type: ignore[union-attr]
    return f"system: {event.system_job}" if event.system_job else "system"


def record_summary(analysis: Analysis) -> dict[str, Any]:
    """The list row: who, when, what came out, which contents."""
    metrics = analysis.trade_metrics or {}
    return {
        "id": analysis.pk,
        "account_number": analysis.account.account_number,
        "account_name": analysis.account.name,
        "trade_date": analysis.trade_date.isoformat(),
        "status": analysis.status,
        "summary": analysis.summary,
        "estimated_tax": metrics.get("estimated_tax"),
        "turnover": metrics.get("turnover"),
        "settings_sha256": analysis.settings_content.sha256 if analysis.settings_content else None,
        "target_sha256": analysis.target_content.sha256 if analysis.target_content else None,
        "created_at": analysis.created_at.isoformat(),
    }


def record_document(detail: RecordDetail, *, with_contents: bool = True) -> dict[str, Any]:
    """Everything the record holds, its trades with reasons, what happened to them since."""
    analysis = detail.analysis
    document = record_summary(analysis) | {
        "before": analysis.before, "after": analysis.after,
        "trade_metrics": analysis.trade_metrics, "relaxations": analysis.relaxations,
        "notes": analysis.notes, "calibration": analysis.calibration,
        "solver": analysis.solver, "sources": analysis.record_sources,
        "tax_naive": {"short_term_gain": analysis.naive_short_term_gain,
                      "long_term_gain": analysis.naive_long_term_gain,
                      "estimated_tax": analysis.naive_estimated_tax,
                      "turnover": analysis.naive_turnover},
        "trades": [{
            "id": item.trade.pk, "security_id": item.trade.security_id,
            "ticker": item.trade.security.ticker, "cusip": item.trade.security.cusip,
            "side": item.trade.side, "shares": item.trade.shares, "price": item.trade.price,
            "value": item.trade.value, "realized_gain": item.trade.realized_gain,
            "estimated_tax": item.trade.estimated_tax,
            "cost_benefit_score": item.trade.cost_benefit_score, "lots": item.trade.lots,
            "reasons": item.trade.reasons, "explanation": item.trade.explanation,
            "orders": [{"id": o.pk, "client_order_id": o.client_order_id, "status": o.status,
                        "shares": o.shares, "filled_shares": o.filled_shares}
                       for o in item.orders],
            "batch_trades": [{"id": b.pk, "batch_id": b.batch_id, "shares": b.shares,
                              "dropped": b.dropped} for b in item.batch_trades],
        } for item in detail.trades],
        "events": [{
            "id": e.pk, "kind": e.kind, "at": e.created_at.isoformat(), "by": _actor(e),
            "reason": e.reason, "batch_id": e.batch_id, "trade_id": e.trade_id,
            "order": e.order.client_order_id if e.order_id else None,  # type: ignore[union-attr]
            "details": e.details} for e in detail.events],
    }
    if with_contents:
        document["settings"] = (analysis.settings_content.content
                                if analysis.settings_content else None)
        document["target"] = analysis.target_content.content if analysis.target_content else None
    return document
