"""Settings rules across accounts: which rules cover which accounts (one query per rule, its
exemptions excluded), a preview of what a rule would change for each account, and applying a
rule as one change set with its reason and history.

Rules are targeted by filters over account fields, custom fields, households and holdings —
never analysis results, because settings decide what the optimizer does. Their values travel to
`accounts.settings_resolution` as plain `SettingsRule` data, in order of position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from accounts.settings_catalog import CATALOG, RULE, SettingError, Vocabulary, parse_changes
from accounts.settings_resolution import SettingsRule as CoveringRule
from accounts.settings_resolution import effective_settings_batch
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import require_firm
from workflow.filters import FilterCompiler, FilterError
from workflow.models import SettingsChangeSet, SettingsRule, SettingsRuleExemption
from workflow.services.acting_scope import acting_scope

CHUNK = 2000
PREVIEW_LIMIT = 200


def _compiler(as_of: date | None = None) -> FilterCompiler:
    return FilterCompiler(firm_id=require_firm().pk, as_of=as_of or timezone.localdate(),
                          allow_analysis=False)


def _covered(compiler: FilterCompiler, query: Any, exempt: Iterable[int],
             account_ids: Iterable[int] | None) -> list[int]:
    selected = compiler.accounts(query).exclude(pk__in=list(exempt))
    if account_ids is not None:
        selected = selected.filter(pk__in=list(account_ids))
    return list(selected.order_by("account_number").values_list("pk", flat=True))


def rules_by_account(account_ids: Iterable[int] | None = None, *,
                     as_of: date | None = None) -> dict[int, list[CoveringRule]]:
    """Account id → the active rules covering it, in order (a later rule over an earlier one),
    for `effective_settings_batch(rules=…)` and `resolve_targets(rules=…)`; every account of
    the firm when `account_ids` is None. One query per rule."""
    ids = None if account_ids is None else list(account_ids)
    compiler = _compiler(as_of)
    exemptions: dict[int, list[int]] = {}
    for rule_id, account_id in SettingsRuleExemption.objects.values_list("rule_id",
                                                                         "account_id"):
        exemptions.setdefault(rule_id, []).append(account_id)
    covering: dict[int, list[CoveringRule]] = {}
    for rule in SettingsRule.objects.filter(is_active=True).order_by("position", "pk"):
        plain = CoveringRule(rule.pk, rule.name, rule.values)
        for account_id in _covered(compiler, rule.query, exemptions.get(rule.pk, ()), ids):
            covering.setdefault(account_id, []).append(plain)
    return covering


@dataclass(frozen=True)
class SettingChange:
    setting: str
    label: str
    before: str
    after: str
    source_after: str


@dataclass(frozen=True)
class AccountChange:
    account_id: int
    account_number: str
    changes: tuple[SettingChange, ...]

    def as_record(self) -> dict[str, Any]:
        return {"account": self.account_number, "changes": [
            {"setting": c.setting, "before": c.before, "after": c.after,
             "source": c.source_after} for c in self.changes]}


@dataclass(frozen=True)
class RulePreview:
    """What applying a rule would do: the accounts it covers, and per account what changes."""

    values: dict[str, Any]  # stored form
    accounts_covered: int
    accounts_changed: int
    changes: list[AccountChange] = field(default_factory=list)  # the first PREVIEW_LIMIT
    exempted: list[tuple[str, str]] = field(default_factory=list)  # (account number, reason)


def _stored_values(current: Mapping[str, Any], changes: Mapping[str, Any],
                   clear: Iterable[str]) -> dict[str, Any]:
    try:
        stored = parse_changes(changes, layer=RULE)
    except SettingError as error:
        raise ValidationError(str(error)) from None
    values = {**current, **stored}
    for name in clear:
        values.pop(name, None)
    if not values:
        raise ValidationError("A rule sets at least one setting.")
    return values


def _shown(name: str, value: Any, vocabulary: Vocabulary) -> str:
    if value is None:
        return "—"
    shown = CATALOG[name].show(value, vocabulary)
    if isinstance(shown, (list, tuple, set, frozenset)):
        return ", ".join(sorted(map(str, shown))) or "—"
    return str(shown)


def settings_rule_preview(*, rule: SettingsRule | None = None, name: str, query: Any,
                          changes: Mapping[str, Any] | None = None, clear: Iterable[str] = (),
                          position: int | None = None, exemptions: Mapping[int, str] | None = None,
                          as_of: date | None = None) -> RulePreview:
    """What the rule (new, or `rule` changed) would change, account by account, before
    anything is saved. Every covered account is resolved (in chunks); the first
    PREVIEW_LIMIT changed accounts are listed."""
    exemptions = dict(exemptions if exemptions is not None else (
        rule.exemptions.values_list("account_id", "reason") if rule else {}))
    values = _stored_values(rule.values if rule else {}, changes or {}, clear)
    compiler = _compiler(as_of)
    try:
        covered = _covered(compiler, query, exemptions, None)
    except FilterError as error:
        raise ValidationError(error.problems) from None
    previously = set(_covered(compiler, rule.query, rule.exemptions.values_list(
        "account_id", flat=True), None)) if rule else set()
    draft_id = rule.pk if rule else 0
    draft = CoveringRule(draft_id, name, values)
    position = position if position is not None else (rule.position if rule else 100)
    touched = set(values) | (set(rule.values) if rule else set())
    vocabulary = Vocabulary()
    numbers = dict(Account.objects.filter(pk__in=set(covered) | previously).values_list(
        "pk", "account_number"))
    candidates = sorted(set(covered) | previously, key=lambda pk: numbers.get(pk, ""))
    covered_set = set(covered)
    positions = dict(SettingsRule.objects.values_list("pk", "position"))
    changed: list[AccountChange] = []
    changed_count = 0
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        current = rules_by_account(chunk, as_of=as_of)
        proposed = {pk: _with_draft(current.get(pk, []), draft, position,
                                    include=pk in covered_set, positions=positions)
                    for pk in chunk}
        before = effective_settings_batch(chunk, rules=current)
        after = effective_settings_batch(chunk, rules=proposed)
        for pk in chunk:
            diffs = tuple(
                SettingChange(n, CATALOG[n].label, _shown(n, before[pk][n], vocabulary),
                              _shown(n, after[pk][n], vocabulary), after[pk].source(n).label)
                for n in sorted(touched) if before[pk][n] != after[pk][n])
            if diffs:
                changed_count += 1
                if len(changed) < PREVIEW_LIMIT:
                    changed.append(AccountChange(pk, numbers[pk], diffs))
    exempted_numbers = dict(Account.objects.filter(pk__in=list(exemptions)).values_list(
        "pk", "account_number"))
    return RulePreview(values, len(covered), changed_count, changed,
                       sorted((exempted_numbers.get(pk, str(pk)), reason)
                              for pk, reason in exemptions.items()))


def _with_draft(rules: Sequence[CoveringRule], draft: CoveringRule, position: int, *,
                include: bool, positions: Mapping[int, int]) -> list[CoveringRule]:
    """The rules covering an account once the draft replaces its saved version."""
    kept = [r for r in rules if r.rule_id != draft.rule_id]
    if not include:
        return kept
    ordered = [(positions.get(r.rule_id, 0), r.rule_id, r) for r in kept]
    ordered.append((position, draft.rule_id or 10**12, draft))
    return [r for _, _, r in sorted(ordered, key=lambda item: item[:2])]


@transaction.atomic
def settings_rule_apply(*, rule: SettingsRule | None = None, name: str, query: Any,
                        changes: Mapping[str, Any] | None = None, clear: Iterable[str] = (),
                        position: int | None = None,
                        exemptions: Mapping[int, str] | None = None, is_active: bool = True,
                        reason: str, acting_user: Any) -> SettingsChangeSet:
    """Save the rule (new or changed) with its exemptions as one change set: the rule's and
    exemptions' history carry the person and `reason`; the change set records what changed."""
    if acting_scope(acting_user, "settings_rule.manage") is None:
        raise PermissionDenied("Changing settings rules needs settings_rule.manage.")
    if not (reason or "").strip():
        raise ValidationError("A reason is required to change settings across accounts.")
    exemptions = dict(exemptions if exemptions is not None else (
        rule.exemptions.values_list("account_id", "reason") if rule else {}))
    missing = [pk for pk, why in exemptions.items() if not (why or "").strip()]
    if missing:
        numbers = Account.objects.filter(pk__in=missing).values_list("account_number", flat=True)
        raise ValidationError(f"An exemption needs a reason: {', '.join(sorted(numbers))}.")
    known = set(Account.objects.filter(pk__in=list(exemptions)).values_list("pk", flat=True))
    if set(exemptions) - known:
        raise ValidationError("An exemption names an account that is not the firm's.")
    preview = settings_rule_preview(rule=rule, name=name, query=query, changes=changes,
                                    clear=clear, position=position, exemptions=exemptions)
    row = rule or SettingsRule()
    row.name, row.query, row.values, row.is_active = name, query, preview.values, is_active
    if position is not None:
        row.position = position
    with audit_context(user=acting_user, reason=reason.strip()):
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise ValidationError(f"There is already a rule named {name!r}.") from None
        existing = {e.account_id: e for e in row.exemptions.all()}
        for account_id, exemption in existing.items():
            if account_id not in exemptions:
                exemption.delete()
            elif exemption.reason != exemptions[account_id]:
                exemption.reason = exemptions[account_id]
                exemption.save()
        new = [SettingsRuleExemption(firm=row.firm, rule=row, account_id=pk, reason=why.strip())
               for pk, why in exemptions.items() if pk not in existing]
        if new:
            bulk_create_audited(SettingsRuleExemption, new)
    return SettingsChangeSet.objects.create(
        rule=row, reason=reason.strip(), applied_by=acting_user,
        accounts_affected=preview.accounts_covered, accounts_changed=preview.accounts_changed,
        changes=[change.as_record() for change in preview.changes])
