"""Bringing a firm onto the platform and taking it off, for the hosting company's operators.

Onboarding makes everything a firm needs to load its feeds and run its first nightly cycle
without a developer: the firm and its first admin (`rebal.services.firm_create`), the nightly
schedule in its time zone, its feed inbox folder, and the default dispositions policies.
Offboarding deactivates the firm (sign-ins and the schedule stop) and deletes nothing: records
are kept for the retention period, and `manage.py export_firm` writes all its data for hand-over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dataops.services.inbox import inbox_path
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm
from rebal.services import firm_create
from workflow.models import NightlyPolicy
from workflow.services.dispositions import disposition_policies_ensure_defaults


@dataclass(frozen=True)
class Onboarded:
    firm: Firm
    admin_email: str
    one_time_password: str
    inbox: Path
    schedule: NightlyPolicy


@transaction.atomic
def firm_onboard(*, code: str, name: str, timezone_name: str, admin_email: str,
                 start_time: time, deadline_time: time, require_totp: bool,
                 acting_user: Any, reason: str = "") -> Onboarded:
    """Create a firm ready for its first cycle. The inbox folder is made last, once the
    database work has succeeded, so a refused firm leaves nothing behind."""
    if deadline_time <= start_time:
        raise ValidationError("The nightly deadline must be after its start time.")
    reason = reason.strip() or f"Firm {code.strip().upper()} onboarded"
    created = firm_create(code=code, name=name, timezone_name=timezone_name,
                          admin_email=admin_email, acting_user=acting_user, reason=reason)
    firm = created.firm
    with audit_context(user=acting_user, reason=reason):
        if require_totp:
            firm.require_totp = True
            firm.save(update_fields=["require_totp"])
        with firm_context(firm):
            schedule = NightlyPolicy.objects.create(start_time=start_time,
                                                    deadline_time=deadline_time)
            disposition_policies_ensure_defaults(acting_user=acting_user)
    inbox = inbox_path(firm.code)
    transaction.on_commit(lambda: inbox.mkdir(parents=True, exist_ok=True))
    return Onboarded(firm=firm, admin_email=created.admin.email,
                     one_time_password=created.one_time_password, inbox=inbox,
                     schedule=schedule)


@transaction.atomic
def firm_offboard(*, firm: Firm, acting_user: Any, reason: str) -> Firm:
    """Deactivate a firm: its people can no longer sign in to it and its cycle no longer runs.
    Nothing is deleted; records stay for the retention period."""
    if not (reason or "").strip():
        raise ValidationError("A reason is required to offboard a firm.")
    if not firm.is_active:
        raise ValidationError(f"Firm {firm.code} is already offboarded.")
    with audit_context(user=acting_user, reason=reason.strip()):
        firm.is_active = False
        firm.save(update_fields=["is_active"])
    return firm
