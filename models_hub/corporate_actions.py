"""The model book's part of a corporate action: models and equivalence sets follow the security.

In a stock merger (or a cash-and-stock one) every model naming the old security gets a new
version, from the effective date, naming the successor with the old weight (added to the
successor's own weight if the model already held it), and the old security's place in an
equivalence set passes to the successor. A spin-off's new security follows the firm's
`SpinoffPolicy`: kept or sold, the models stay as they are; added to the model, the parent's
weight is split between parent and child by the issuer's basis percentage. A cash merger or a
delisting leaves nothing to substitute: `models_naming_retired` lists the models the committee
must change, and the accounts room holds the accounts whose targets still name it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dataops.models import CorporateAction, Security
from models_hub.models import (
    EquivalenceMember,
    SecurityModelVersion,
    SecurityModelWeight,
    SpinoffPolicy,
)
from rebal.firm_context import require_firm

WEIGHT = Decimal("0.0000000001")
SUCCESSION = {"stock_merger", "cash_stock_merger"}


def _latest_versions_naming(security_id: int) -> list[SecurityModelVersion]:
    latest = (SecurityModelVersion.objects.order_by("model_id", "-as_of_date", "-pk")
              .distinct("model_id"))
    ids = set(SecurityModelWeight.objects.filter(version__in=latest, security_id=security_id)
              .values_list("version_id", flat=True))
    return list(SecurityModelVersion.objects.filter(pk__in=ids).select_related("model"))


def _new_version(version: SecurityModelVersion, action: CorporateAction,
                 weights: dict[int, Decimal]) -> SecurityModelVersion:
    firm = require_firm()
    created = SecurityModelVersion.objects.create(
        firm=firm, model=version.model, corporate_action=action,
        as_of_date=max(action.effective_date, version.as_of_date))
    SecurityModelWeight.objects.bulk_create([
        SecurityModelWeight(firm=firm, version=created, security_id=security_id, weight=weight)
        for security_id, weight in weights.items() if weight])
    return created


def _weights(version: SecurityModelVersion) -> dict[int, Decimal]:
    return dict(SecurityModelWeight.objects.filter(version=version)
                .values_list("security_id", "weight"))


def _replace_in_models(action: CorporateAction, old: int, new: int) -> list[int]:
    created = []
    for version in _latest_versions_naming(old):
        weights = _weights(version)
        moved = weights.pop(old)
        weights[new] = weights.get(new, Decimal(0)) + moved
        created.append(_new_version(version, action, weights).pk)
    return created


def _add_to_models(action: CorporateAction, old: int, new: int) -> list[int]:
    share = (action.basis_allocation_pct or Decimal(0)) / 100
    created = []
    for version in _latest_versions_naming(old):
        weights = _weights(version)
        child = (weights[old] * share).quantize(WEIGHT, rounding=ROUND_HALF_UP)
        weights[old] -= child  # parent and child add up to the parent's weight exactly
        weights[new] = weights.get(new, Decimal(0)) + child
        created.append(_new_version(version, action, weights).pk)
    return created


def _follow_in_equivalence_sets(old: int, new: int) -> list[list[int]]:
    if EquivalenceMember.objects.filter(security_id=new).exists():
        return []
    moved = []
    for member in EquivalenceMember.objects.filter(security_id=old):
        member.security_id = new
        member.save()
        moved.append([member.pk, old])
    return moved


def apply_to_model_book(action: CorporateAction, as_of: date) -> dict[str, Any]:
    old, new = action.old_security_id, action.new_security_id
    if old is None or new is None:
        return {}
    if action.type in SUCCESSION:
        return {"versions": _replace_in_models(action, old, new),
                "members": _follow_in_equivalence_sets(old, new)}
    if action.type == "spinoff":
        policy = SpinoffPolicy.objects.first()
        chosen = policy.policy if policy else SpinoffPolicy.Choice.KEEP
        if chosen == SpinoffPolicy.Choice.ADD_TO_MODEL:
            return {"policy": chosen, "versions": _add_to_models(action, old, new)}
        return {"policy": chosen}
    return {}


def reverse_in_model_book(action: CorporateAction, effects: dict[str, Any]) -> None:
    versions = effects.get("versions", [])
    SecurityModelWeight.objects.filter(version_id__in=versions).delete()
    SecurityModelVersion.objects.filter(pk__in=versions).delete()
    for member_id, security_id in effects.get("members", []):
        member = EquivalenceMember.objects.get(pk=member_id)
        member.security_id = security_id
        member.save()


def models_naming_retired() -> dict[int, list[str]]:
    """Securities no longer trading (delisted, merged away) that a model's current version
    still names: security id -> the model codes."""
    retired = set(Security.objects.filter(status=Security.Status.DELISTED)
                  .values_list("pk", flat=True))
    if not retired:
        return {}
    latest = (SecurityModelVersion.objects.order_by("model_id", "-as_of_date", "-pk")
              .distinct("model_id"))
    found: dict[int, list[str]] = defaultdict(list)
    for security_id, code in (SecurityModelWeight.objects.filter(
            version__in=latest, security_id__in=retired, weight__gt=0)
            .values_list("security_id", "version__model__code").order_by("version__model__code")):
        found[security_id].append(code)
    return dict(found)
