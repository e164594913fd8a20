"""Account holds: placed by a source with a reason, cleared only by that source."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import AccountHold
from rebal.audit import bulk_create_audited, bulk_update_audited
from rebal.firm_context import require_firm


@transaction.atomic
def holds_place(*, reasons: dict[int, str], kind: str, source: str) -> int:
    """Hold each account id in `reasons` (unless this source already holds it); returns new."""
    if not reasons:
        return 0
    already = set(AccountHold.objects.filter(
        account_id__in=list(reasons), kind=kind, source=source, cleared_at__isnull=True,
    ).values_list("account_id", flat=True))
    new = [AccountHold(account_id=account_id, kind=kind, source=source, reason=reason[:2000])
           for account_id, reason in reasons.items() if account_id not in already]
    if new:
        firm = require_firm()
        for hold in new:
            hold.firm = firm
        bulk_create_audited(AccountHold, new)
    return len(new)


@transaction.atomic
def holds_clear(*, source: str, account_ids: Iterable[int] | None = None,
                reason: str, source_prefix: bool = False) -> int:
    """Clear the open holds this source set (on these accounts, or all of them)."""
    holds = AccountHold.objects.filter(cleared_at__isnull=True)
    holds = holds.filter(source__startswith=source) if source_prefix else holds.filter(
        source=source)
    if account_ids is not None:
        holds = holds.filter(account_id__in=list(account_ids))
    open_holds = list(holds)
    now = timezone.now()
    for hold in open_holds:
        hold.cleared_at = now
        hold.cleared_reason = reason
    if open_holds:
        bulk_update_audited(AccountHold, open_holds, ["cleared_at", "cleared_reason"])
    return len(open_holds)
