"""The committee's direct edits: approved alternatives, equivalence sets, customization limits.

These change what customizations may do, not any target, so they take effect when saved (each
with its reason), without the two-person publication that allocations, products and programs
need.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dataops.models import AssetClass, Security
from models_hub.models import (
    ApprovedAlternative,
    CustomizationLimit,
    EquivalenceMember,
    EquivalenceSet,
    RiskProfile,
    SecurityModel,
)
from models_hub.services.publishing import _require_reason
from rebal.audit import audit_context


@transaction.atomic
def approved_alternative_add(*, asset_class: AssetClass, product: SecurityModel, note: str = "",
                             reason: str, acting_user: Any) -> ApprovedAlternative:
    """Allow accounts to substitute `product` in `asset_class` (it must implement that class)."""
    reason = _require_reason(reason)
    if product.asset_class_id != asset_class.pk:
        raise ValidationError(f"{product.code} implements "
                              f"{product.asset_class or 'no asset class yet'}, not "
                              f"{asset_class}: an alternative stays within its asset class.")
    if ApprovedAlternative.objects.filter(asset_class=asset_class, product=product).exists():
        raise ValidationError(f"{product.code} is already approved for {asset_class}.")
    with audit_context(user=acting_user, reason=reason):
        return ApprovedAlternative.objects.create(asset_class=asset_class, product=product,
                                                  note=note)


@transaction.atomic
def approved_alternative_remove(*, alternative: ApprovedAlternative, reason: str,
                                acting_user: Any) -> None:
    """Withdraw an approval. Accounts already using the product keep it until their settings
    change (the next change is checked against the new list)."""
    reason = _require_reason(reason)
    with audit_context(user=acting_user, reason=reason):
        alternative.delete()


@transaction.atomic
def equivalence_set_save(*, code: str, name: str, securities: Sequence[Security], reason: str,
                         acting_user: Any,
                         equivalence_set: EquivalenceSet | None = None) -> EquivalenceSet:
    """Create or replace a set of securities that substitute for one another as a target."""
    reason = _require_reason(reason)
    members = {s.pk: s for s in securities}
    if len(members) < 2:
        raise ValidationError("An equivalence set needs at least two securities.")
    inactive = sorted(str(s) for s in members.values() if s.status != Security.Status.ACTIVE)
    if inactive:
        raise ValidationError(f"Not active in the security master: {', '.join(inactive)}.")
    elsewhere = EquivalenceMember.objects.filter(security_id__in=list(members)).select_related(
        "equivalence_set", "security")
    if equivalence_set is not None:
        elsewhere = elsewhere.exclude(equivalence_set=equivalence_set)
    taken = [f"{m.security} (in {m.equivalence_set.code})" for m in elsewhere]
    if taken:
        raise ValidationError("A security belongs to at most one equivalence set: "
                              + ", ".join(taken) + ".")
    clash = EquivalenceSet.objects.filter(code=code)
    if equivalence_set is not None:
        clash = clash.exclude(pk=equivalence_set.pk)
    if clash.exists():
        raise ValidationError(f"An equivalence set with code {code!r} already exists.")
    with audit_context(user=acting_user, reason=reason):
        if equivalence_set is None:
            equivalence_set = EquivalenceSet.objects.create(code=code, name=name)
        elif (equivalence_set.code, equivalence_set.name) != (code, name):
            equivalence_set.code, equivalence_set.name = code, name
            equivalence_set.save()
        existing = {m.security_id: m for m in equivalence_set.members.all()}
        for security_id, member in existing.items():
            if security_id not in members:
                member.delete()
        for security_id in members:
            if security_id not in existing:
                EquivalenceMember.objects.create(equivalence_set=equivalence_set,
                                                 security_id=security_id)
    return equivalence_set


@transaction.atomic
def equivalence_set_delete(*, equivalence_set: EquivalenceSet, reason: str,
                           acting_user: Any) -> None:
    reason = _require_reason(reason)
    with audit_context(user=acting_user, reason=reason):
        for member in equivalence_set.members.all():
            member.delete()
        equivalence_set.delete()


def _fraction(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    if number < 0 or number > 1:
        raise ValidationError(f"{what} is a fraction between 0 and 1; got {number}.")
    return number


@transaction.atomic
def customization_limit_save(*, name: str, asset_class: AssetClass, risk_profile: str = "",
                             max_change: Any = None, min_weight: Any = None,
                             max_weight: Any = None, reason: str, acting_user: Any,
                             limit: CustomizationLimit | None = None) -> CustomizationLimit:
    """How far customizations may move `asset_class` (a leaf or a branch such as all equity)
    from the program's weight, for `risk_profile` accounts (blank: all): by at most
    `max_change`, and/or to within [min_weight, max_weight]. Fractions."""
    reason = _require_reason(reason)
    if risk_profile and risk_profile not in RiskProfile.values:
        raise ValidationError(f"Unknown risk profile {risk_profile!r}.")
    bounds = {"max_change": _fraction(max_change, "The largest change"),
              "min_weight": _fraction(min_weight, "The least weight"),
              "max_weight": _fraction(max_weight, "The most weight")}
    if all(v is None for v in bounds.values()):
        raise ValidationError("A limit needs a largest change, a least weight or a most weight.")
    if (bounds["min_weight"] is not None and bounds["max_weight"] is not None
            and bounds["min_weight"] > bounds["max_weight"]):
        raise ValidationError("The least weight is above the most weight.")
    if not name.strip():
        raise ValidationError("A limit needs a name (messages quote it).")
    with audit_context(user=acting_user, reason=reason):
        limit = limit or CustomizationLimit()
        limit.name, limit.asset_class, limit.risk_profile = name.strip(), asset_class, risk_profile
        for key, value in bounds.items():
            setattr(limit, key, value)
        limit.save()
    return limit


@transaction.atomic
def customization_limit_delete(*, limit: CustomizationLimit, reason: str,
                               acting_user: Any) -> None:
    reason = _require_reason(reason)
    with audit_context(user=acting_user, reason=reason):
        limit.delete()
