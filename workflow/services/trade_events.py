"""Appending TradeEvents, attributed to whoever is acting (rebal.audit's actor)."""

from __future__ import annotations

from typing import Any

from rebal.audit import current_actor
from rebal.firm_context import require_firm
from workflow.models import TradeEvent


def _actor_fields() -> dict[str, Any]:
    actor = current_actor()
    return {"actor_user": actor.user if getattr(actor.user, "pk", None) else None,
            "actor_token": actor.api_token, "system_job": actor.system_job}


def trade_event(kind: str, *, reason: str = "", details: dict[str, Any] | None = None,
                **refs: Any) -> TradeEvent:
    """Build (not save) one event; `refs` are batch, trade, order, analysis, account."""
    return TradeEvent(firm=require_firm(), kind=kind, reason=reason, details=details or {}, **refs,
                      **_actor_fields())


def trade_event_record(kind: str, *, reason: str = "", details: dict[str, Any] | None = None,
                       **refs: Any) -> TradeEvent:
    event = trade_event(kind, reason=reason, details=details, **refs)
    event.save()
    return event


def trade_events_record(events: list[TradeEvent]) -> None:
    TradeEvent.objects.bulk_create(events, batch_size=2000)
