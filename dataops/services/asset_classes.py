"""The asset-class tree from dotted codes: EQ.US.LARGE sits under EQ.US, under EQ."""

from __future__ import annotations

from collections.abc import Iterable

from dataops.models import AssetClass
from rebal.firm_context import require_firm


def asset_classes_ensure(codes: Iterable[str]) -> dict[str, int]:
    """Every code and its dotted ancestors exist and are linked; returns code -> id."""
    wanted: set[str] = set()
    for code in codes:
        parts = code.split(".")
        wanted.update(".".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    wanted.discard("")
    existing = {a.code: a for a in AssetClass.objects.filter(code__in=wanted)}
    firm = require_firm()
    for code in sorted(wanted, key=lambda c: c.count(".")):  # parents before children
        parent_code = code.rpartition(".")[0]
        parent = existing.get(parent_code) if parent_code else None
        current = existing.get(code)
        if current is None:
            existing[code] = AssetClass.objects.create(firm=firm, code=code, name=code,
                                                       parent=parent)
        elif current.parent_id is None and parent is not None:
            current.parent = parent
            current.save()
    return {code: asset_class.pk for code, asset_class in existing.items()}
