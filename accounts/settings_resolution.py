"""Effective settings: every setting's value for an account, and where it came from.

Layers, broadest first: Rebal's defaults → the firm's defaults → the settings rules that cover
the account (worked out by the workflow, exemptions applied, passed in as plain data) → the
household → the account → what a corporate action adds (a spin-off the firm keeps is on its
holders' do-not-sell list, `accounts.corporate_action_settings`). A plain value is replaced by
each layer that sets it; a list (do not buy, restriction lists, excluded asset classes…)
gathers every layer's members, so a lower layer can add a restriction but never lift one a
broader layer set; a mapping (product choices, tilts) is replaced key by key. Tax rates and
carryforwards come from the firm's defaults and then the account's tax entity; discretion and
approval for trading from the account record.

`effective_settings_batch` resolves many accounts in a few queries (accounts, their layers,
their households' and tax entities' layers), whatever their number; pass chunks of a few
thousand.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from accounts.corporate_action_settings import spinoff_layers
from accounts.models import (
    Account,
    AccountSettings,
    FirmSettings,
    HouseholdSettings,
    TaxEntitySettings,
)
from accounts.settings_catalog import (
    ACCOUNT,
    CATALOG,
    DEFAULT,
    FIRM,
    HOUSEHOLD,
    MAP,
    RECORD,
    RECORD_SETTINGS,
    RULE,
    SET,
    SETTINGS,
    TAX_ENTITY,
    TAX_LAYERS,
    VALUE,
    load_layer,
)

_EMPTY: Mapping[Any, Source] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value came from: a layer, and in plain English which row of it."""

    # default | firm | rule | household | account | tax_entity | record | corporate_action
    layer: str
    label: str  # "firm default", "rule 12 (Platinum commission)", "household HH-SMITH"…
    ref: int | None = None  # the rule, household, account, tax entity or corporate action id

    def as_record(self) -> dict[str, Any]:
        return {"layer": self.layer, "label": self.label, "ref": self.ref}


REBAL_DEFAULT = Source(DEFAULT, "Rebal default")
FIRM_DEFAULT = Source(FIRM, "firm default")
ACCOUNT_OVERRIDE = Source(ACCOUNT, "account override")
ACCOUNT_RECORD = Source(RECORD, "account record (accounts feed)")


@dataclass(frozen=True, slots=True)
class SettingsRule:
    """A settings rule that covers the account, with its values in stored form (what
    `accounts.settings_catalog.parse_changes(…, layer="rule")` returns). Rules are applied in
    the order given, a later one over an earlier one."""

    rule_id: int
    name: str
    values: Mapping[str, Any]

    @property
    def source(self) -> Source:
        return Source(RULE, f"rule {self.rule_id} ({self.name})", self.rule_id)


@dataclass(frozen=True, slots=True)
class EffectiveValue:
    """A setting's effective value; for lists and mappings, where each member came from."""

    value: Any
    source: Source
    item_sources: Mapping[Any, Source] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class EffectiveSettings:
    """Every setting of one account with its provenance.

    Accounts resolved from the same layers share `values` (and the hash of their content), so
    a book of mostly uncustomized accounts costs little to resolve and to record.
    """

    account_id: int
    tax_entity_id: int | None
    values: Mapping[str, EffectiveValue]
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.values[name].value

    def source(self, name: str) -> Source:
        return self.values[name].source

    def explain(self, name: str) -> str:
        """'Tax sensitivity: high (from household HH-SMITH)'."""
        setting, value = CATALOG[name], self.values[name]
        return f"{setting.label}: {value.value} (from {value.source.label})"

    def as_record(self) -> dict[str, Any]:
        """JSON for the analysis record: stored-form values with their sources."""
        record = {}
        for name in sorted(self.values):
            effective = self.values[name]
            entry: dict[str, Any] = {"value": CATALOG[name].store(effective.value)
                                     if effective.value is not None else None,
                                     "source": effective.source.as_record()}
            if effective.item_sources:
                entry["items"] = {str(k): s.label for k, s in sorted(
                    effective.item_sources.items())}
            record[name] = entry
        return record

    def content_hash(self) -> str:
        """Identical settings and provenance hash alike, so records store each content once
        (provenance names rules, households and tax entities, never the account itself)."""
        if "hash" not in self.shared:
            text = json.dumps(self.as_record(), sort_keys=True, separators=(",", ":"))
            self.shared["hash"] = hashlib.sha256(text.encode()).hexdigest()
        return str(self.shared["hash"])


def _apply(values: dict[str, EffectiveValue], layer: Mapping[str, Any], source: Source) -> None:
    for name, typed in layer.items():
        setting = CATALOG[name]
        if setting.kind == VALUE:
            values[name] = EffectiveValue(typed, source)
            continue
        current = values.get(name)
        items = dict(current.item_sources) if current else {}
        if setting.kind == SET:
            if not typed:
                continue
            for member in sorted(typed):
                items.setdefault(member, source)
            values[name] = EffectiveValue(frozenset(items), source, MappingProxyType(items))
        elif setting.kind == MAP:
            if not typed:
                continue
            merged = dict(current.value) if current else {}
            for key, member in typed.items():
                merged[key] = member
                items[key] = source
            values[name] = EffectiveValue(merged, source, MappingProxyType(items))


def _base(firm_layer: Mapping[str, Any]) -> tuple[dict[str, EffectiveValue],
                                                   dict[str, EffectiveValue]]:
    """(account settings, tax settings) from Rebal's and the firm's defaults."""
    account: dict[str, EffectiveValue] = {}
    tax: dict[str, EffectiveValue] = {}
    for setting in SETTINGS:
        target = tax if setting.layers == TAX_LAYERS else account
        default = setting.default
        target[setting.name] = EffectiveValue(
            frozenset(default) if setting.kind == SET else dict(default)
            if setting.kind == MAP else default, REBAL_DEFAULT)
    _apply(account, {k: v for k, v in firm_layer.items() if k not in tax}, FIRM_DEFAULT)
    _apply(tax, {k: v for k, v in firm_layer.items() if k in tax}, FIRM_DEFAULT)
    return account, tax


@dataclass(frozen=True, slots=True)
class AccountRow:
    """What resolution needs of an account (a light row, not the model)."""

    id: int
    account_number: str
    household_id: int
    tax_entity_id: int | None
    program_code: str
    discretionary: bool
    approved_for_trading: bool

    FIELDS = ("pk", "account_number", "household_id", "tax_entity_id", "program_code",
              "discretionary", "approved_for_trading")

    @classmethod
    def of(cls, account: Any) -> AccountRow:
        if isinstance(account, AccountRow):
            return account
        return cls(account.pk, account.account_number, account.household_id,
                   account.tax_entity_id, account.program_code, account.discretionary,
                   account.approved_for_trading)


def account_rows(accounts: Iterable[Any]) -> list[AccountRow]:
    """Rows for accounts given as objects, rows or ids (ids cost one query)."""
    given = list(accounts)
    ids = [a for a in given if isinstance(a, int)]
    rows = [AccountRow.of(a) for a in given if not isinstance(a, int)]
    if ids:
        found = {row[0]: AccountRow(*row) for row in
                 Account.objects.filter(pk__in=ids).values_list(*AccountRow.FIELDS)}
        rows += [found[pk] for pk in ids if pk in found]
    return rows


@dataclass(frozen=True)
class Layers:
    """The stored layers of a chunk of accounts, typed."""

    firm: Mapping[str, Any]
    households: Mapping[int, tuple[Source, Mapping[str, Any]]]
    accounts: Mapping[int, Mapping[str, Any]]
    tax_entities: Mapping[int, tuple[Source, Mapping[str, Any]]]
    corporate_actions: Mapping[int, tuple[tuple[Source, Mapping[str, Any]], ...]]

    @classmethod
    def load(cls, rows: Sequence[AccountRow]) -> Layers:
        firm = FirmSettings.objects.values_list("values", flat=True).first() or {}
        households = {
            household_id: (Source(HOUSEHOLD, f"household {code}", household_id),
                           load_layer(values))
            for household_id, code, values in HouseholdSettings.objects.filter(
                household_id__in={r.household_id for r in rows}).values_list(
                "household_id", "household__code", "values") if values}
        accounts = {account_id: load_layer(values) for account_id, values in
                    AccountSettings.objects.filter(account_id__in=[r.id for r in rows])
                    .values_list("account_id", "values") if values}
        entities = {r.tax_entity_id for r in rows if r.tax_entity_id}
        tax_entities = {
            entity_id: (Source(TAX_ENTITY, f"tax entity {code}", entity_id), load_layer(values))
            for entity_id, code, values in TaxEntitySettings.objects.filter(
                tax_entity_id__in=entities).values_list("tax_entity_id", "tax_entity__code",
                                                        "values") if values}
        corporate_actions = spinoff_layers([r.id for r in rows], Source)
        return cls(load_layer(firm), households, accounts, tax_entities, corporate_actions)


class SettingsResolver:
    """Resolves accounts against one firm layer; the defaults are combined once."""

    def __init__(self, firm_layer: Mapping[str, Any]):
        self.base, self.tax_base = _base(firm_layer)
        self._rule_layers: dict[int, Mapping[str, Any]] = {}
        # Resolutions by the identity of the layers they combine (the layers are kept in the
        # value, so their ids cannot be reused while the entry lives).
        self._resolved: dict[tuple[Any, ...], tuple[Any, Mapping[str, EffectiveValue],
                                                    dict[str, Any]]] = {}

    def _rule_layer(self, rule: SettingsRule) -> Mapping[str, Any]:
        key = id(rule)
        if key not in self._rule_layers:
            self._rule_layers[key] = load_layer(rule.values)
        return self._rule_layers[key]

    def resolve(self, row: AccountRow, *, rules: Sequence[SettingsRule] = (),
                household: tuple[Source, Mapping[str, Any]] | None = None,
                account: Mapping[str, Any] | None = None,
                tax_entity: tuple[Source, Mapping[str, Any]] | None = None,
                corporate_actions: Sequence[tuple[Source, Mapping[str, Any]]] = (),
                ) -> EffectiveSettings:
        layers = (tuple(rules), household, account or None, tax_entity, tuple(corporate_actions))
        key = (tuple(map(id, rules)), id(household), id(layers[2]), id(tax_entity),
               tuple(map(id, corporate_actions)), row.discretionary, row.approved_for_trading)
        found = self._resolved.get(key)
        if found is None:
            values = dict(self.base)
            for rule in rules:
                _apply(values, self._rule_layer(rule), rule.source)
            if household is not None:
                _apply(values, household[1], household[0])
            if account:
                _apply(values, account, ACCOUNT_OVERRIDE)
            for source, layer in corporate_actions:
                _apply(values, layer, source)
            values.update(self.tax_base)
            if tax_entity is not None:
                _apply(values, tax_entity[1], tax_entity[0])
            for setting in RECORD_SETTINGS:
                values[setting.name] = EffectiveValue(getattr(row, setting.name), ACCOUNT_RECORD)
            found = (layers, MappingProxyType(values), {})
            self._resolved[key] = found
        return EffectiveSettings(row.id, row.tax_entity_id, found[1], found[2])


def effective_settings_batch(
        accounts: Iterable[Any], *,
        rules: Mapping[int, Sequence[SettingsRule]] | None = None) -> dict[int, EffectiveSettings]:
    """Effective settings of many accounts (objects, AccountRows or ids) in a few queries;
    `rules` maps account id → the rules covering it, in order of precedence."""
    rows = account_rows(accounts)
    layers = Layers.load(rows)
    resolver = SettingsResolver(layers.firm)
    rules = rules or {}
    return {row.id: resolver.resolve(
        row, rules=rules.get(row.id, ()), household=layers.households.get(row.household_id),
        account=layers.accounts.get(row.id),
        tax_entity=layers.tax_entities.get(row.tax_entity_id) if row.tax_entity_id else None,
        corporate_actions=layers.corporate_actions.get(row.id, ()))
        for row in rows}


def effective_settings(account: Any, *,
                       rules: Sequence[SettingsRule] = ()) -> EffectiveSettings:
    """Every setting of `account` with its source: Rebal default, firm default, rule,
    household, account override, tax entity or account record."""
    row = AccountRow.of(account) if not isinstance(account, int) else account_rows([account])[0]
    return effective_settings_batch([row], rules={row.id: rules})[row.id]


__all__ = ["ACCOUNT", "DEFAULT", "FIRM", "HOUSEHOLD", "RULE", "AccountRow", "EffectiveSettings",
           "EffectiveValue", "SettingsResolver", "SettingsRule", "Source", "effective_settings",
           "effective_settings_batch"]
