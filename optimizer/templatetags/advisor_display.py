"""Filters of the advisor's pages: fractions as percents, analysis outcomes and reasons in words."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

OUTCOMES = {"trades": "trades", "relaxed": "trades, relaxed", "no_trades": "no trades",
            "failed": "failed"}


@register.filter
def fraction_percent(value: Any) -> str:
    """0.0321 → "3.2%"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def outcome(value: str) -> str:
    return OUTCOMES.get(value, value or "")


@register.filter
def reason_text(reason: Any) -> str:
    """A trade's reason code ("harvest_loss") in words ("harvest loss")."""
    if isinstance(reason, dict):
        reason = reason.get("code") or reason.get("reason") or next(iter(reason.values()), "")
    return str(getattr(reason, "value", reason)).replace("_", " ")
