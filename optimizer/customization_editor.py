"""The advisor's customization editor: what it offers (the plain-English settings, the program's
asset classes to exclude, the approved products to choose), the change a submitted form asks
for (only what differs from the account's effective settings), and a check of that change that
saves nothing — the same service as saving, refusing for the same reasons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.services.settings import account_settings_update
from accounts.settings_catalog import CATALOG, TAX_SENSITIVITY, TRACKING, Vocabulary
from accounts.settings_resolution import effective_settings
from accounts.targets import resolve_target
from dataops.models import AssetClass
from models_hub.models import ApprovedAlternative

CHOICE_SETTINGS = {"tax_sensitivity": TAX_SENSITIVITY, "tracking": TRACKING}


@dataclass(frozen=True)
class ClassOption:
    """An asset class the account's program invests in: excluded or not, and its products."""

    code: str
    name: str
    excluded: bool
    product: str  # the product chosen for the account ("" = the program's)
    program_product: str
    products: tuple[tuple[str, str], ...]  # (code, name) of the approved alternatives


@dataclass(frozen=True)
class Editor:
    """The editor's current values and choices."""

    values: dict[str, str]  # tax_sensitivity, tracking, loss_harvesting ("yes"/"no")
    classes: tuple[ClassOption, ...]
    choices: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


def editor_for(account: Account) -> Editor:
    """The account's effective settings and its program's asset classes, as the form shows."""
    settings = effective_settings(account)
    vocabulary = Vocabulary()
    excluded_ids = set(settings["excluded_asset_classes"])
    chosen = {vocabulary.name("asset_classes", ac): vocabulary.name("products", product)
              for ac, product in settings["product_choices"].items()}
    target = resolve_target(account, timezone.localdate(), settings=settings,
                            hold_unknown_programs=False)
    names = dict(AssetClass.objects.values_list("code", "name"))
    in_target = [(c.asset_class_id, c.asset_class, c.product) for c in target.asset_classes]
    excluded = [(pk, vocabulary.name("asset_classes", pk), "") for pk in sorted(excluded_ids)
                if pk not in {row[0] for row in in_target}]
    alternatives: dict[int, list[tuple[str, str]]] = {}
    for asset_class_id, code, name in (ApprovedAlternative.objects
                                       .filter(asset_class_id__in=[r[0] for r in in_target])
                                       .order_by("product__code")
                                       .values_list("asset_class_id", "product__code",
                                                    "product__name")):
        alternatives.setdefault(asset_class_id, []).append((code, name or code))
    classes = []
    for pk, code, product in [*in_target, *excluded]:
        own = chosen.get(code, "")
        program_product = product if not own else ""
        classes.append(ClassOption(code=code, name=names.get(code, code),
                                   excluded=pk in excluded_ids, product=own,
                                   program_product=program_product,
                                   products=tuple(alternatives.get(pk, ()))))
    return Editor(values={"tax_sensitivity": str(settings["tax_sensitivity"]),
                          "tracking": str(settings["tracking"]),
                          "loss_harvesting": "yes" if settings["loss_harvesting"] else "no"},
                  classes=tuple(sorted(classes, key=lambda c: c.code)),
                  choices=dict(CHOICE_SETTINGS))


def requested_change(editor: Editor, form: Mapping[str, Any]) -> dict[str, Any]:
    """The settings (entered form) that the submitted editor changes; the rest is left alone,
    so what the account inherits stays inherited."""
    changes: dict[str, Any] = {}
    for name in ("tax_sensitivity", "tracking", "loss_harvesting"):
        entered = str(form.get(name, editor.values[name]))
        if entered != editor.values[name]:
            changes[name] = entered
    excluded = sorted(str(code) for code in _list(form, "exclude"))
    if excluded != sorted(c.code for c in editor.classes if c.excluded):
        changes["excluded_asset_classes"] = excluded
    products = {c.code: str(form.get(f"product:{c.code}", c.product)) for c in editor.classes}
    products = {code: product for code, product in products.items() if product}
    if products != {c.code: c.product for c in editor.classes if c.product}:
        changes["product_choices"] = products
    return changes


def _list(form: Mapping[str, Any], name: str) -> Iterable[str]:
    getlist = getattr(form, "getlist", None)
    return getlist(name) if getlist else form.get(name, [])


def change_problems(*, account: Account, changes: Mapping[str, Any],
                    acting_user: Any) -> list[str]:
    """Why saving `changes` would be refused (customization limits named), or nothing; checked
    by the saving service itself inside a savepoint that is always rolled back."""
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            account_settings_update(account=account, changes=changes,
                                    reason="checking a change (not saved)",
                                    acting_user=acting_user)
        except ValidationError as error:
            return list(error.messages)
        finally:
            transaction.savepoint_rollback(savepoint)
    return []


def changes_described(changes: Mapping[str, Any]) -> list[str]:
    """The change in words, for the what-if and the confirmation."""
    described = []
    for name, value in changes.items():
        if isinstance(value, list):
            value = ", ".join(value) or "none"
        elif isinstance(value, dict):
            value = "; ".join(f"{k} → {v}" for k, v in value.items()) or "the program's"
        described.append(f"{CATALOG[name].label}: {value}")
    return described
