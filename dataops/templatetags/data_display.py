"""How data-operations values read on a page."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

DOORS = {"api": "API", "inbox": "inbox", "cli": "command line"}
ACRONYMS = {"ira": "IRA", "api": "API", "esg": "ESG"}


@register.filter
def door(value: str) -> str:
    """The way a file came in, in words: API, inbox, command line."""
    return DOORS.get(value, value)


@register.filter
def choice_label(value: str) -> str:
    """A stored choice as a sentence-case label: loaded_with_errors -> Loaded with errors."""
    words = value.replace("_", " ").capitalize().split(" ") if value else []
    return " ".join(ACRONYMS.get(word.lower(), word) for word in words)


@register.filter
def quantity(value: Decimal | None) -> str:
    """A share quantity with thousands separators and only the decimals it has: 1,200 or 3.5."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():,f}"
