"""What set an account hold, in words, and the page where it is dealt with: a hold's `source`
is a key such as `feed:tax_lots`, `unknown_security:73` or `stale:prices`."""

from __future__ import annotations

from django.urls import reverse

from dataops.models import UnknownSecurity

UNKNOWN_SOURCE = "unknown_security:"


def hold_sources(sources: list[str]) -> dict[str, tuple[str, str]]:
    """Each source's (label, link; "" when there is no page for it), reading the unknown
    securities behind those that name one in one query."""
    ids = [int(s.removeprefix(UNKNOWN_SOURCE)) for s in sources
           if s.startswith(UNKNOWN_SOURCE) and s.removeprefix(UNKNOWN_SOURCE).isdigit()]
    unknown = {f"{UNKNOWN_SOURCE}{entry.placeholder_id}": entry
               for entry in UnknownSecurity.objects.filter(placeholder_id__in=ids)}
    return {source: _described(source, unknown) for source in sources}


def _described(source: str, unknown: dict[str, UnknownSecurity]) -> tuple[str, str]:
    kind, _, rest = source.partition(":")
    if kind == "feed":
        return f"{rest} feed", reverse("feed-list") + f"?feed={rest}"
    if source.startswith(UNKNOWN_SOURCE):
        entry = unknown.get(source)
        label = (f"unknown security {entry.ticker or entry.cusip}" if entry
                 else "unknown security")
        return label, reverse("unknown-security-list")
    if kind == "stale":
        return f"stale {rest}", reverse("feed-monitor")
    return source, ""
