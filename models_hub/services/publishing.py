"""Drafting and publishing allocations, products and programs.

A proposal is validated and stored as a draft ModelChange (who, why, what exactly); nothing
live changes. A second member of the investment policy committee — never the author — approves
it, which validates it again against the book as it is then and publishes it in the same
transaction: the live rows' history names the approver and the change, the change's history
names the author. A draft made against an older revision of its structure cannot be published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dataops.models import AssetClass, Security
from models_hub.book import (
    EPSILON,
    WEIGHT_TOLERANCE,
    ZERO,
    AllocationInfo,
    InheritanceCycle,
    ModelBook,
    ProductInfo,
    ProgramInfo,
    percent,
    signed_percent,
)
from models_hub.models import (
    AllocationWeight,
    AssetAllocation,
    ModelChange,
    ModelProvider,
    Program,
    ProgramProduct,
    RiskProfile,
    SecurityModel,
    SecurityModelVersion,
    SecurityModelWeight,
)
from rebal.audit import audit_context
from rebal.firm_context import require_firm
from rebal.models import Membership, Role

NEW_ID = -1  # a structure proposed but not yet created, inside a checked book
COMMITTEE_ROLES = {Role.IPC, Role.FIRM_ADMIN}


def _decimal(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what}: {value!r} is not a number.") from None
    if not number.is_finite():
        raise ValidationError(f"{what}: {value!r} is not a number.")
    return number


def _require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError("A reason is required: say why the model book changes.")
    return reason.strip()


def _weights(raw: Mapping[Any, Any], what: str) -> dict[int, Decimal]:
    """{id: weight} from ids or objects, each weight in [0, 1], summing to 1."""
    if not raw:
        raise ValidationError(f"The {what} needs at least one weight.")
    weights: dict[int, Decimal] = {}
    for key, value in raw.items():
        pk = int(getattr(key, "pk", key))
        weight = _decimal(value, f"weight of {what} {pk}")
        if weight < 0 or weight > 1:
            raise ValidationError(f"Weights are fractions between 0 and 1; got {weight}.")
        weights[pk] = weights.get(pk, ZERO) + weight
    total = sum(weights.values(), ZERO)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        raise ValidationError(f"The weights of the {what} sum to {total.normalize():f}, not 1 "
                              f"(within {WEIGHT_TOLERANCE}). Nothing was saved.")
    return weights


def _committee_member(user: Any) -> bool:
    if not getattr(user, "pk", None):
        return False
    membership = Membership.objects.filter(user=user, is_active=True).first()
    return membership is not None and bool(COMMITTEE_ROLES & set(membership.roles))


def _draft(*, kind: str, code: str, target: Any, proposed: dict[str, Any], summary: str,
           reason: str, acting_user: Any) -> ModelChange:
    if not _committee_member(acting_user):
        raise ValidationError("Only members of the investment policy committee propose "
                              "changes to the model book.")
    fields = {kind: target} if target is not None else {}
    with audit_context(user=acting_user, reason=reason):
        return ModelChange.objects.create(
            kind=kind, code=code, base_revision=target.revision if target is not None else 0,
            proposed=proposed, summary=summary, reason=reason, author=acting_user, **fields)


def _asset_class_labels(ids: Sequence[int]) -> dict[int, str]:
    return {pk: (name if name and name != code else code) for pk, code, name in
            AssetClass.objects.filter(pk__in=list(ids)).values_list("pk", "code", "name")}


def _weight_diff(before: Mapping[int, Decimal], after: Mapping[int, Decimal],
                 labels: Mapping[int, str]) -> str:
    parts = []
    for key in sorted(set(before) | set(after), key=lambda k: labels.get(k, str(k))):
        was, now = before.get(key, ZERO), after.get(key, ZERO)
        if was != now:
            parts.append(f"{labels.get(key, key)} {percent(was)} → {percent(now)}")
    return "; ".join(parts) or "weights unchanged"


# --- allocations ---------------------------------------------------------------------------

def _allocation_checked(book: ModelBook, proposed: dict[str, Any],
                        allocation: AssetAllocation | None) -> AllocationInfo:
    weights = {int(k): Decimal(v) for k, v in proposed["weights"].items()}
    unknown = sorted(set(weights) - set(book.asset_classes))
    if unknown:
        raise ValidationError(f"Unknown asset class(es): {unknown}.")
    if proposed["risk_profile"] not in RiskProfile.values:
        raise ValidationError(f"Unknown risk profile {proposed['risk_profile']!r}; use one of "
                              f"{', '.join(RiskProfile.values)}.")
    clash = AssetAllocation.objects.filter(code=proposed["code"])
    if allocation is not None:
        clash = clash.exclude(pk=allocation.pk)
    if clash.exists():
        raise ValidationError(f"An allocation with code {proposed['code']!r} already exists.")
    info = AllocationInfo(allocation.pk if allocation else NEW_ID, proposed["code"],
                          proposed["name"], proposed["risk_profile"], weights)
    checked = book.replaced(allocations=[info])
    for program in checked.programs.values():
        if program.allocation_id != info.id:
            continue
        for pid in [program.id, *checked.descendants(program.id)]:
            errors = checked.resolve_classes(pid).errors
            if errors:
                raise ValidationError(f"With this allocation, program "
                                      f"{checked.programs[pid].code} would not resolve: "
                                      + " ".join(errors))
    return info


@transaction.atomic
def allocation_propose(*, code: str, name: str, risk_profile: str,
                       weights: Mapping[Any, Any], reason: str, acting_user: Any,
                       description: str = "",
                       allocation: AssetAllocation | None = None) -> ModelChange:
    """Draft a new allocation, or a change to `allocation`: {asset class: weight} summing to 1."""
    reason = _require_reason(reason)
    proposed = {"code": code.strip(), "name": name.strip(), "risk_profile": risk_profile,
                "description": description,
                "weights": {str(k): str(v) for k, v in _weights(weights, "allocation").items()}}
    if not proposed["code"]:
        raise ValidationError("An allocation needs a code.")
    book = ModelBook.load(as_of=timezone.localdate())
    info = _allocation_checked(book, proposed, allocation)
    before = ({w.asset_class_id: w.weight for w in allocation.weights.all()}
              if allocation else {})
    labels = _asset_class_labels([*before, *info.weights])
    summary = (f"{'New allocation' if allocation is None else 'Allocation'} {code}: "
               + _weight_diff(before, info.weights, labels))
    return _draft(kind=ModelChange.Kind.ALLOCATION, code=code, target=allocation,
                  proposed=proposed, summary=summary, reason=reason, acting_user=acting_user)


def _allocation_publish(change: ModelChange, book: ModelBook) -> None:
    proposed = change.proposed
    info = _allocation_checked(book, proposed, change.allocation)
    allocation = change.allocation or AssetAllocation()
    allocation.code, allocation.name = proposed["code"], proposed["name"]
    allocation.risk_profile = proposed["risk_profile"]
    allocation.description = proposed.get("description", "")
    allocation.revision += 1
    allocation.save()
    existing = {w.asset_class_id: w for w in allocation.weights.all()}
    for ac, row in existing.items():
        if ac not in info.weights:
            row.delete()
    for ac, weight in info.weights.items():
        current = existing.get(ac)
        if current is None:
            AllocationWeight.objects.create(allocation=allocation, asset_class_id=ac,
                                            weight=weight)
        elif current.weight != weight:
            current.weight = weight
            current.save()
    change.allocation = allocation


# --- products --------------------------------------------------------------------------------

def _product_checked(book: ModelBook, proposed: dict[str, Any],
                     product: SecurityModel | None) -> ProductInfo:
    asset_class = proposed["asset_class"]
    if asset_class not in book.asset_classes:
        raise ValidationError(f"Unknown asset class {asset_class}.")
    if proposed["kind"] not in SecurityModel.Kind.values:
        raise ValidationError(f"Unknown kind of product {proposed['kind']!r}; use one of "
                              f"{', '.join(SecurityModel.Kind.values)}.")
    clash = SecurityModel.objects.filter(code=proposed["code"])
    if product is not None:
        clash = clash.exclude(pk=product.pk)
    if clash.exists():
        raise ValidationError(f"A product with code {proposed['code']!r} already exists.")
    if proposed.get("weights"):
        ids = [int(k) for k in proposed["weights"]]
        found = dict(Security.objects.filter(pk__in=ids).values_list("pk", "status"))
        unknown = sorted(set(ids) - set(found))
        placeholders = sorted(pk for pk, status in found.items()
                              if status != Security.Status.ACTIVE)
        if unknown or placeholders:
            raise ValidationError(
                "The product names securities that are not active in the security master: "
                f"{', '.join(str(p) for p in unknown + placeholders)}. Nothing was saved.")
    elif ((product is None or product.pk not in book.versions)
          and proposed["kind"] != SecurityModel.Kind.THIRD_PARTY):
        raise ValidationError("A new product needs its weights (a third-party model may "
                                  "wait for its provider's upload).")
    info = ProductInfo(product.pk if product else NEW_ID, proposed["code"], proposed["name"],
                       asset_class, proposed["kind"], "")
    if product is not None and product.asset_class_id not in (None, asset_class):
        users = sorted(p.code for p in book.programs.values()
                       if product.pk in p.products.values())
        if users:
            raise ValidationError(
                f"{product.code} implements {book.class_label(product.asset_class_id)} in "
                f"program(s) {', '.join(users)}; it cannot move to another asset class.")
    return info


@transaction.atomic
def product_propose(*, code: str, name: str, asset_class: AssetClass, kind: str,
                    reason: str, acting_user: Any, weights: Mapping[Any, Any] | None = None,
                    effective_date: date | None = None, provider: ModelProvider | None = None,
                    product: SecurityModel | None = None) -> ModelChange:
    """Draft a new product, or a change to `product` (its asset class, kind, name, and/or new
    weights from `effective_date`): {security: weight} summing to 1."""
    reason = _require_reason(reason)
    proposed: dict[str, Any] = {
        "code": code.strip(), "name": name.strip(), "asset_class": asset_class.pk, "kind": kind,
        "provider": provider.pk if provider else None,
        "effective_date": (effective_date or timezone.localdate()).isoformat(),
        "weights": ({str(k): str(v) for k, v in _weights(weights, "product").items()}
                    if weights is not None else None)}
    if not proposed["code"]:
        raise ValidationError("A product needs a code.")
    book = ModelBook.load(as_of=timezone.localdate())
    _product_checked(book, proposed, product)
    parts = [f"{'New product' if product is None else 'Product'} {code} ({kind}) for "
             f"{book.class_label(asset_class.pk)}"]
    if proposed["weights"]:
        current = book.versions.get(product.pk) if product else None
        before = dict(current.weights) if current else {}
        after = {int(k): Decimal(v) for k, v in proposed["weights"].items()}
        labels = dict(Security.objects.filter(pk__in=[*before, *after])
                      .values_list("pk", "ticker"))
        parts.append(f"weights from {proposed['effective_date']}: "
                     + _weight_diff(before, after, labels))
    return _draft(kind=ModelChange.Kind.PRODUCT, code=code, target=product, proposed=proposed,
                  summary="; ".join(parts), reason=reason, acting_user=acting_user)


def _product_publish(change: ModelChange, book: ModelBook) -> None:
    proposed = change.proposed
    _product_checked(book, proposed, change.product)
    product = change.product or SecurityModel()
    product.code, product.name = proposed["code"], proposed["name"]
    product.asset_class_id, product.kind = proposed["asset_class"], proposed["kind"]
    if proposed.get("provider"):
        provider = ModelProvider.objects.get(pk=proposed["provider"])
        product.provider, product.provider_code = provider, provider.code
    product.revision += 1
    product.save()
    change.product = product
    if proposed.get("weights"):
        firm = require_firm()
        version = SecurityModelVersion.objects.create(
            firm=firm, model=product, change=change,
            as_of_date=date.fromisoformat(proposed["effective_date"]))
        SecurityModelWeight.objects.bulk_create([
            SecurityModelWeight(firm=firm, version=version, security_id=int(k),
                                weight=Decimal(v)) for k, v in proposed["weights"].items()])


# --- programs --------------------------------------------------------------------------------

def _program_checked(book: ModelBook, proposed: dict[str, Any],
                     program: Program | None) -> ProgramInfo:
    clash = Program.objects.filter(code=proposed["code"])
    if program is not None:
        clash = clash.exclude(pk=program.pk)
    if clash.exists():
        raise ValidationError(f"A program with code {proposed['code']!r} already exists.")
    parent, allocation = proposed.get("parent"), proposed.get("allocation")
    if (parent is None) == (allocation is None):
        raise ValidationError("A program names either an allocation (a root program) or a "
                              "parent program whose target it adjusts, not both.")
    if parent is not None and parent not in book.programs:
        raise ValidationError(f"Unknown parent program {parent}.")
    if allocation is not None and allocation not in book.allocations:
        raise ValidationError(f"Unknown allocation {allocation}.")
    products = {int(k): int(v) for k, v in proposed.get("products", {}).items()}
    for ac, product_id in products.items():
        product = book.products.get(product_id)
        if product is None:
            raise ValidationError(f"Unknown product {product_id}.")
        if product.asset_class_id != ac:
            implemented = (book.class_label(product.asset_class_id) if product.asset_class_id
                           else "no asset class yet")
            raise ValidationError(f"{product.code} implements {implemented}, not "
                                  f"{book.class_label(ac)}.")
    tilts = {int(k): Decimal(v) for k, v in proposed.get("tilts", {}).items()}
    net = sum(tilts.values(), ZERO)
    if abs(net) > EPSILON:
        raise ValidationError(f"Tilts must add up to zero; these add up to "
                              f"{signed_percent(net)}.")
    info = ProgramInfo(program.pk if program else NEW_ID, proposed["code"], proposed["name"],
                       parent, allocation, frozenset(int(a) for a in proposed.get("excluded", ())),
                       tilts, products)
    checked = book.replaced(programs=[info])
    try:
        checked.program_chain(info.id)
    except InheritanceCycle as error:
        raise ValidationError(f"{error} A program cannot inherit from itself. Nothing was "
                              "saved.") from None
    for pid in [info.id, *checked.descendants(info.id)]:
        errors = checked.resolve_classes(pid).errors
        if errors:
            raise ValidationError(f"Program {checked.programs[pid].code} would not resolve: "
                                  + " ".join(errors))
    return info


def _program_payload(*, code: str, name: str, description: str, parent: Program | None,
                     allocation: AssetAllocation | None, products: Mapping[Any, Any],
                     excluded: Sequence[Any], tilts: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "code": code.strip(), "name": name.strip(), "description": description,
        "parent": parent.pk if parent else None,
        "allocation": allocation.pk if allocation else None,
        "products": {str(getattr(k, "pk", k)): int(getattr(v, "pk", v))
                     for k, v in products.items()},
        "excluded": sorted(int(getattr(a, "pk", a)) for a in excluded),
        "tilts": {str(getattr(k, "pk", k)): str(_decimal(v, "tilt"))
                  for k, v in tilts.items() if _decimal(v, "tilt")},
    }


@transaction.atomic
def program_propose(*, code: str, name: str, reason: str, acting_user: Any,
                    allocation: AssetAllocation | None = None, parent: Program | None = None,
                    products: Mapping[Any, Any] | None = None, excluded: Sequence[Any] = (),
                    tilts: Mapping[Any, Any] | None = None, description: str = "",
                    program: Program | None = None) -> ModelChange:
    """Draft a new program, or a change to `program`. A root program names an allocation and a
    product ({asset class: product}) for each of its asset classes; a child names its parent
    and only its differences (exclusions, tilts as fractions netting to zero, products)."""
    reason = _require_reason(reason)
    proposed = _program_payload(code=code, name=name, description=description, parent=parent,
                                allocation=allocation, products=products or {},
                                excluded=excluded, tilts=tilts or {})
    if not proposed["code"]:
        raise ValidationError("A program needs a code.")
    book = ModelBook.load(as_of=timezone.localdate())
    info = _program_checked(book, proposed, program)
    checked = book.replaced(programs=[info])
    before = (book.resolve_classes(program.pk).weights
              if program is not None and program.pk in book.programs else {})
    after = checked.resolve_classes(info.id)
    labels = {ac: book.class_label(ac) for ac in {*before, *after.weights}}
    basis = (f"allocation {book.allocations[info.allocation_id].code}"
             if info.allocation_id else f"child of {book.programs[info.parent_id].code}")  # type: ignore[index]
    products_text = ", ".join(f"{book.class_label(c.asset_class_id)}: "
                              f"{book.product_label(c.product_id)}" for c in after.classes)
    summary = (f"{'New program' if program is None else 'Program'} {code} ({basis}): "
               + _weight_diff(before, after.weights, labels) + f"; products {products_text}")
    return _draft(kind=ModelChange.Kind.PROGRAM, code=code, target=program, proposed=proposed,
                  summary=summary, reason=reason, acting_user=acting_user)


def _program_publish(change: ModelChange, book: ModelBook) -> None:
    proposed = change.proposed
    info = _program_checked(book, proposed, change.program)
    program = change.program or Program()
    program.code, program.name = proposed["code"], proposed["name"]
    program.description = proposed.get("description", "")
    program.parent_id, program.allocation_id = info.parent_id, info.allocation_id
    program.excluded_asset_classes = sorted(info.excluded)
    program.tilts = {str(k): str(v) for k, v in sorted(info.tilts.items())}
    program.revision += 1
    program.save()
    existing = {p.asset_class_id: p for p in program.products.all()}
    for ac, row in existing.items():
        if ac not in info.products:
            row.delete()
    for ac, product_id in info.products.items():
        current = existing.get(ac)
        if current is None:
            ProgramProduct.objects.create(program=program, asset_class_id=ac,
                                          product_id=product_id)
        elif current.product_id != product_id:
            current.product_id = product_id
            current.save()
    change.program = program


# --- decisions -------------------------------------------------------------------------------

def _target(change: ModelChange) -> Any:
    return {"allocation": change.allocation, "product": change.product,
            "program": change.program}[change.kind]


def _decide(change: ModelChange, *, status: str, reason: str, acting_user: Any) -> None:
    change.status = status
    change.decided_by = acting_user
    change.decided_at = timezone.now()
    change.decision_reason = reason
    change.save()


@transaction.atomic
def model_change_approve(*, change: ModelChange, reason: str, acting_user: Any) -> ModelChange:
    """Approve a draft and publish it. Refused for its author, for anyone outside the
    committee, for a draft no longer open, and for a draft made against an older revision."""
    reason = _require_reason(reason)
    change = ModelChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ModelChange.Status.DRAFT:
        raise ValidationError(f"This change is {change.get_status_display().lower()}; only a "
                              "draft can be approved.")
    if acting_user is None or change.author_id == getattr(acting_user, "pk", None):
        raise ValidationError("You proposed this change: a second member of the investment "
                              "policy committee must approve it. Nothing was published.")
    if not _committee_member(acting_user):
        raise ValidationError("Only members of the investment policy committee approve "
                              "changes to the model book.")
    target = _target(change)
    if target is not None:
        target = type(target).objects.select_for_update().get(pk=target.pk)
        if target.revision != change.base_revision:
            raise ValidationError(
                f"{change.code} has changed since this draft was made (revision "
                f"{change.base_revision}, now {target.revision}); propose the change again.")
        setattr(change, change.kind, target)
    book = ModelBook.load(as_of=timezone.localdate())
    publish_reason = (f"Change #{change.pk} proposed by {change.author.email} "
                      f"({change.reason}); approved by {acting_user.email}: {reason}")
    with audit_context(user=acting_user, reason=publish_reason):
        publish = {"allocation": _allocation_publish, "product": _product_publish,
                   "program": _program_publish}[change.kind]
        publish(change, book)
    with audit_context(user=acting_user, reason=reason):
        _decide(change, status=ModelChange.Status.PUBLISHED, reason=reason,
                acting_user=acting_user)
    return change


@transaction.atomic
def model_change_reject(*, change: ModelChange, reason: str, acting_user: Any) -> ModelChange:
    """Reject a draft (a committee member other than its author); nothing is published."""
    reason = _require_reason(reason)
    if change.status != ModelChange.Status.DRAFT:
        raise ValidationError("Only a draft can be rejected.")
    if change.author_id == getattr(acting_user, "pk", None):
        raise ValidationError("Withdraw your own draft instead of rejecting it.")
    if not _committee_member(acting_user):
        raise ValidationError("Only members of the investment policy committee reject "
                              "changes to the model book.")
    with audit_context(user=acting_user, reason=reason):
        _decide(change, status=ModelChange.Status.REJECTED, reason=reason,
                acting_user=acting_user)
    return change


@transaction.atomic
def model_change_withdraw(*, change: ModelChange, reason: str, acting_user: Any) -> ModelChange:
    """The author takes back their draft."""
    reason = _require_reason(reason)
    if change.status != ModelChange.Status.DRAFT:
        raise ValidationError("Only a draft can be withdrawn.")
    if change.author_id != getattr(acting_user, "pk", None):
        raise ValidationError("Only the author withdraws a draft; others reject it.")
    with audit_context(user=acting_user, reason=reason):
        _decide(change, status=ModelChange.Status.WITHDRAWN, reason=reason,
                acting_user=acting_user)
    return change


@transaction.atomic
def model_change_record_impact(*, change: ModelChange, impact: dict[str, Any],
                               system_job: str) -> ModelChange:
    """Store the impact preview the workflow's background job computed for a draft."""
    with audit_context(system_job=system_job, reason="impact preview"):
        change.impact = impact
        change.save()
    return change
