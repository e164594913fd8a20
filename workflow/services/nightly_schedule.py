"""The firm's nightly schedule, changed by the firm admin: start and deadline in the firm's time
zone, and whether the cycle runs at all. Atomic and audited, with a reason."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from rebal.audit import audit_context
from rebal.firm_context import require_firm
from rebal.models.firm import validate_timezone
from workflow.models import NightlyPolicy
from workflow.services.nightly import nightly_policy


@transaction.atomic
def nightly_schedule_update(*, start_time: time, deadline_time: time, timezone_name: str,
                            is_active: bool, acting_user: Any, reason: str) -> NightlyPolicy:
    """Set when the firm's cycle starts and must be done, in which zone, and whether it runs.
    The zone is the firm's own (its dates and reports use it too)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for changing the nightly schedule.")
    if deadline_time <= start_time:
        raise ValidationError("The nightly deadline must be after its start time.")
    validate_timezone(timezone_name)
    firm = require_firm()
    policy = nightly_policy()
    with audit_context(user=acting_user, reason=reason):
        if firm.timezone != timezone_name:
            firm.timezone = timezone_name
            firm.save(update_fields=["timezone"])
        changed = (policy.pk is None or (policy.start_time, policy.deadline_time,
                                         policy.is_active) != (start_time, deadline_time,
                                                               is_active))
        if changed:
            policy.start_time, policy.deadline_time = start_time, deadline_time
            policy.is_active = is_active
            policy.save()
    return policy
