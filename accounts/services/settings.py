"""Changing settings: firm defaults, households, accounts, tax entities, commission schedules.

Every door — the browser, the API, a settings file — calls these, so every door refuses the
same things with the same words. A change names a reason (recorded in the history with the
person). Customizations (excluded asset classes, product choices, tilts) are checked against
the model book before anything is saved: substitutions only among the approved alternatives of
the asset class, tilts within the program and netting to zero, something left to invest, and
the firm's customization limits for the program's risk profile.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Account,
    AccountSettings,
    CommissionSchedule,
    FirmSettings,
    Household,
    HouseholdSettings,
    TaxEntity,
    TaxEntitySettings,
)
from accounts.settings_catalog import (
    ACCOUNT,
    CATALOG,
    FIRM,
    HOUSEHOLD,
    TAX_ENTITY,
    SettingError,
    Vocabulary,
    load_layer,
    parse_changes,
)
from accounts.settings_resolution import (
    AccountRow,
    Layers,
    SettingsResolver,
    SettingsRule,
    Source,
    account_rows,
)
from accounts.targets import account_differences
from models_hub.book import ModelBook
from rebal.audit import audit_context

CUSTOMIZATIONS = frozenset({"excluded_asset_classes", "product_choices", "allocation_tilts"})


def _require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ValidationError("A reason is required to change settings.")
    return reason.strip()


def _new_values(current: Mapping[str, Any], changes: Mapping[str, Any], clear: Iterable[str],
                layer: str, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    try:
        stored = parse_changes(changes, layer=layer, vocabulary=vocabulary)
    except SettingError as error:
        raise ValidationError(str(error)) from None
    clear = list(clear)
    unknown = [name for name in clear if name not in CATALOG]
    if unknown:
        raise ValidationError(f"{', '.join(unknown)}: there is no such setting.")
    raising = stored.get("cash_to_raise")
    if raising and raising["by"] < timezone.localdate().isoformat():
        raise ValidationError(f"Cash to raise by a date: {raising['by']} has passed.")
    values = {**current, **stored}
    for name in clear:
        values.pop(name, None)
    # An empty list or mapping sets nothing: drop it rather than store a no-op.
    return {k: v for k, v in values.items() if v not in ([], {}, None) or
            CATALOG[k].kind == "value"}


def _customization_problems(rows: Sequence[AccountRow], *,
                            household: Mapping[int, Mapping[str, Any]] | None = None,
                            account: Mapping[int, Mapping[str, Any]] | None = None,
                            rules: Mapping[int, Sequence[SettingsRule]] | None = None,
                            label_accounts: bool = False,
                            book: ModelBook | None = None) -> list[str]:
    """What a proposed household or account layer would break, per account."""
    layers = Layers.load(rows)
    resolver = SettingsResolver(layers.firm)
    book = book or ModelBook.load(as_of=timezone.localdate())
    problems: list[str] = []
    for row in rows:
        household_layer = layers.households.get(row.household_id)
        if household is not None and row.household_id in household:
            source = household_layer[0] if household_layer else Source(
                HOUSEHOLD, "household", row.household_id)
            household_layer = (source, household[row.household_id])
        account_layer = (account or {}).get(row.id, layers.accounts.get(row.id))
        settings = resolver.resolve(row, rules=(rules or {}).get(row.id, ()),
                                    household=household_layer, account=account_layer)
        differences = account_differences(settings)
        program = book.programs_by_code.get(row.program_code)
        prefix = f"Account {row.account_number}: " if label_accounts else ""
        if program is None:
            # A household's accounts without a program have no target to customize yet (they
            # are held until they get one); an account's own customization must be checkable.
            if differences and not label_accounts:
                problems.append(f"{prefix}its program {row.program_code!r} is not a program "
                                "of the firm, so its customizations cannot be checked.")
            continue
        problems.extend(prefix + p for p in book.check_customization(program.id, differences))
    return problems


def _save_layer(row: Any, values: dict[str, Any], *, reason: str, acting_user: Any) -> Any:
    if row.pk is not None and row.values == values:
        return row
    with audit_context(user=acting_user, reason=reason):
        row.values = values
        row.save()
    return row


@transaction.atomic
def account_settings_update(*, account: Account, changes: Mapping[str, Any] | None = None,
                            clear: Iterable[str] = (), reason: str, acting_user: Any,
                            rules: Sequence[SettingsRule] = (),
                            vocabulary: Vocabulary | None = None,
                            book: ModelBook | None = None) -> AccountSettings:
    """Set (`changes`, entered form) or clear (back to the household's, rules' or firm's)
    settings of one account. Callers changing many accounts may pass the `vocabulary` and the
    model `book` they loaded once."""
    reason = _require_reason(reason)
    changes, clear = dict(changes or {}), list(clear)
    row = (AccountSettings.objects.select_for_update().filter(account=account).first()
           or AccountSettings(account=account))
    values = _new_values(row.values, changes, clear, ACCOUNT, vocabulary)
    if CUSTOMIZATIONS & (set(changes) | set(clear)):
        problems = _customization_problems(
            account_rows([account]), account={account.pk: load_layer(values)},
            rules={account.pk: rules}, book=book)
        if problems:
            raise ValidationError(problems)
    return _save_layer(row, values, reason=reason, acting_user=acting_user)


@transaction.atomic
def household_settings_update(*, household: Household, changes: Mapping[str, Any] | None = None,
                              clear: Iterable[str] = (), reason: str,
                              acting_user: Any) -> HouseholdSettings:
    """Set or clear settings for every account of a household (an account's own override
    still wins); customizations are checked against each account's program."""
    reason = _require_reason(reason)
    changes, clear = dict(changes or {}), list(clear)
    row = (HouseholdSettings.objects.select_for_update().filter(household=household).first()
           or HouseholdSettings(household=household))
    values = _new_values(row.values, changes, clear, HOUSEHOLD)
    if CUSTOMIZATIONS & (set(changes) | set(clear)):
        problems = _customization_problems(
            account_rows(Account.objects.filter(household=household).order_by(
                "account_number")),
            household={household.pk: load_layer(values)}, label_accounts=True)
        if problems:
            raise ValidationError(problems)
    return _save_layer(row, values, reason=reason, acting_user=acting_user)


@transaction.atomic
def firm_settings_update(*, changes: Mapping[str, Any] | None = None, clear: Iterable[str] = (),
                         reason: str, acting_user: Any) -> FirmSettings:
    """Set or clear the firm's defaults (for every account and tax entity)."""
    reason = _require_reason(reason)
    row = FirmSettings.objects.select_for_update().first() or FirmSettings()
    values = _new_values(row.values, dict(changes or {}), clear, FIRM)
    return _save_layer(row, values, reason=reason, acting_user=acting_user)


@transaction.atomic
def tax_entity_settings_update(*, tax_entity: TaxEntity,
                               changes: Mapping[str, Any] | None = None,
                               clear: Iterable[str] = (), reason: str,
                               acting_user: Any) -> TaxEntitySettings:
    """Set or clear a taxpayer's rates and carryforwards (shared by all its accounts)."""
    reason = _require_reason(reason)
    row = (TaxEntitySettings.objects.select_for_update().filter(tax_entity=tax_entity).first()
           or TaxEntitySettings(tax_entity=tax_entity))
    values = _new_values(row.values, dict(changes or {}), clear, TAX_ENTITY)
    return _save_layer(row, values, reason=reason, acting_user=acting_user)


@transaction.atomic
def commission_schedule_save(*, code: str, name: str, reason: str, acting_user: Any,
                             per_trade: Any = 0, per_share: Any = 0, percent_bps: Any = 0,
                             minimum: Any = 0,
                             schedule: CommissionSchedule | None = None) -> CommissionSchedule:
    """Create or change a commission schedule (dollars per trade and per share, basis points of
    the trade's value, a minimum per trade)."""
    reason = _require_reason(reason)
    amounts = {}
    for key, value in (("per_trade", per_trade), ("per_share", per_share),
                       ("percent_bps", percent_bps), ("minimum", minimum)):
        try:
            amounts[key] = Decimal(str(value))
        except ArithmeticError:
            raise ValidationError(f"{key}: {value!r} is not a number.") from None
        if amounts[key] < 0:
            raise ValidationError(f"{key}: a commission cannot be negative.")
    clash = CommissionSchedule.objects.filter(code=code)
    if schedule is not None:
        clash = clash.exclude(pk=schedule.pk)
    if not code.strip() or clash.exists():
        raise ValidationError(f"A commission schedule needs a code of its own ({code!r}).")
    with audit_context(user=acting_user, reason=reason):
        schedule = schedule or CommissionSchedule()
        schedule.code, schedule.name = code.strip(), name
        for key, amount in amounts.items():
            setattr(schedule, key, amount)
        schedule.save()
    return schedule


# --- the file door ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingsFileResult:
    accounts_changed: int
    settings_changed: int


SETTINGS_FILE_COLUMNS = ("account_number", "setting", "value")


def entered_value(setting: str, text: str) -> Any:
    """A text cell (a settings file, a page's form) in entered form: lists separated by ';' or
    ',', mappings as JSON or 'EQ.US.LARGE=LCAP_FUND;EQ.US.MID=MCAP_FUND', cash to raise as
    '25000@2026-12-31'."""
    kind = CATALOG[setting].kind if setting in CATALOG else "value"
    if kind == "map":
        text = text.strip()
        if text.startswith("{"):
            return json.loads(text)
        return dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if setting == "cash_to_raise" and text.strip():
        amount, _, by = text.partition("@")
        return {"amount": amount.strip(), "by": by.strip()}
    return text


@transaction.atomic
def account_settings_load(*, data: bytes, reason: str, acting_user: Any) -> SettingsFileResult:
    """Load a settings file (account_number, setting, value): every row is checked exactly as
    the browser and the API check it, and the file loads whole or not at all; the error names
    each refused row by line."""
    reason = _require_reason(reason)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The settings file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = set(SETTINGS_FILE_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(f"The settings file lacks column(s): {', '.join(sorted(missing))}.")
    by_account: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for line, record in enumerate(reader, start=2):
        by_account[record["account_number"].strip()].append(
            (line, record["setting"].strip(), record["value"] or ""))
    accounts = {a.account_number: a for a in Account.objects.filter(
        account_number__in=list(by_account))}
    vocabulary = Vocabulary()
    book = ModelBook.load(as_of=timezone.localdate())
    problems: list[str] = []
    changed = 0
    for number, rows in by_account.items():
        account = accounts.get(number)
        if account is None:
            problems.extend(f"line {line}: account {number!r} is not an account of the firm"
                            for line, _, _ in rows)
            continue
        changes = {s: entered_value(s, v) for _, s, v in rows if v.strip()}
        clear = [s for _, s, v in rows if not v.strip()]
        lines = ", ".join(str(line) for line, _, _ in rows)
        try:
            with transaction.atomic():
                account_settings_update(account=account, changes=changes, clear=clear,
                                        reason=reason, acting_user=acting_user,
                                        vocabulary=vocabulary, book=book)
        except ValidationError as error:
            problems.extend(f"line(s) {lines} (account {number}): {message}"
                            for message in error.messages)
        except (ValueError, json.JSONDecodeError) as error:
            problems.append(f"line(s) {lines} (account {number}): {error}")
        else:
            changed += len(rows)
    if problems:
        # Nothing of the file is kept: the whole transaction rolls back.
        raise ValidationError(["The settings file was not loaded; nothing changed.", *problems])
    return SettingsFileResult(accounts_changed=len(by_account), settings_changed=changed)
