"""When an unknown security is resolved: re-point the holdings that named it, clear its holds."""

from __future__ import annotations

from typing import Any

from accounts.models import TaxLot, Transaction
from accounts.services.holds import holds_clear


def unknown_security_resolved(*, placeholder_ids: list[int], reason: str,
                              resolved_to_id: int | None = None, **kwargs: Any) -> int:
    """Clear the holds each resolved placeholder set; other holds stay until their own source
    clears them, so an account trades again only once nothing else is wrong."""
    if resolved_to_id is not None:
        for model in (TaxLot, Transaction):
            # Feed rows, not row-audited: the custodian's identifier now maps to the target.
            model.objects.filter(security_id__in=placeholder_ids).update(
                security_id=resolved_to_id)
    return sum(holds_clear(source=f"unknown_security:{placeholder_id}",
                           reason=f"security resolved: {reason}")
               for placeholder_id in placeholder_ids)
