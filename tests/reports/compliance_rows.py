"""Firm A's rows for the isolation harness on compliance's pages: an audited change with a
reason of its own, and a compliance hold."""

from __future__ import annotations

from typing import Any

from accounts.models import AccountHold
from rebal.audit import audit_context
from rebal.firm_context import firm_context


def audited_change_reason(personas: Any) -> str:
    """The reason of a change to firm A's account, made by its admin."""
    reason = f"{personas.firm.code} audit marker: account renamed"
    with firm_context(personas.firm), audit_context(user=personas.admin, reason=reason):
        account = personas.account
        account.name = f"{account.name} (renamed)"
        account.save()
    return reason


def compliance_hold_reason(personas: Any) -> str:
    reason = f"{personas.firm.code} compliance marker: complaint under review"
    with firm_context(personas.firm), audit_context(user=personas.compliance):
        AccountHold.objects.get_or_create(
            account=personas.account, kind=AccountHold.Kind.COMPLIANCE,
            source=f"user:{personas.compliance.pk}", defaults={"reason": reason})
    return reason
