"""Target resolution: an account's security-level target weights, each with where it came from.

An account's target is a child of its program (`Account.program_code`) that stores only its
differences — the excluded asset classes, product choices and tilts of its effective settings,
from whichever layer set them. Nothing is copied: the program, its allocation and its products
are read from the model book at every resolution, so a change the committee publishes reaches
every customized account the next time it is resolved.

`resolve_target(account, as_of)` for one account; `resolve_targets(accounts, as_of)` for many
(the model book is read once; accounts with the same program and the same differences share one
resolution). An account whose program code names no program gets a data-error hold (source
"program:unknown"), cleared once its program resolves.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import AccountHold
from accounts.settings_resolution import (
    AccountRow,
    EffectiveSettings,
    SettingsRule,
    account_rows,
    effective_settings_batch,
)
from models_hub.book import ClassResolution, Difference, ModelBook, percent
from rebal.audit import audit_context

UNKNOWN_PROGRAM_SOURCE = "program:unknown"
HUNDRED = Decimal(100)
RECORD_PLACES = Decimal("0.000000000001")


@dataclass(frozen=True, slots=True)
class Contribution:
    """Part of a security's weight: an asset class's weight × the security's weight in the
    product implementing it."""

    asset_class: str
    product: str
    product_version_id: int
    product_as_of: date
    weight_in_product: Decimal
    weight: Decimal


@dataclass(frozen=True, slots=True)
class SecurityTarget:
    security_id: int
    security: str  # ticker (or CUSIP)
    weight: Decimal
    contributions: tuple[Contribution, ...]
    # A target on one member of an equivalence set is satisfied by holding any member.
    equivalence_set: str = ""
    satisfied_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AssetClassTarget:
    asset_class_id: int
    asset_class: str  # code
    weight: Decimal
    allocation_weight: Decimal  # in the program's allocation
    program_weight: Decimal  # after the program's own differences, before the account's
    product: str
    product_source: str  # "program BAL60", "account override", "household HH-1", "rule 4 (…)"
    steps: tuple[str, ...]  # how the weight was reached, in plain English


@dataclass(frozen=True)
class ResolvedTarget:
    """An account's target on a date, with the provenance of every weight."""

    account_id: int
    as_of: date
    program: str
    allocation: str
    risk_profile: str
    asset_classes: tuple[AssetClassTarget, ...]
    securities: tuple[SecurityTarget, ...]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Shared by the accounts that resolve alike (their hash is computed once).
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def weights(self) -> dict[int, Decimal]:
        return {s.security_id: s.weight for s in self.securities}

    def security(self, ticker: str) -> SecurityTarget:
        return next(s for s in self.securities if s.security == ticker)

    def asset_class(self, code: str) -> AssetClassTarget:
        return next(c for c in self.asset_classes if c.asset_class == code)

    def explain(self, ticker: str) -> str:
        """'IJH 7.00%: US Mid Cap 7.00% (5.00% in allocation BAL60; +2.00% tilt (account
        override)) × 100.00% of product MCAP_ETF (program BAL60)'."""
        target = self.security(ticker)
        parts = []
        for c in target.contributions:
            cls = self.asset_class(c.asset_class)
            parts.append(f"{c.asset_class} {percent(cls.weight)} ({'; '.join(cls.steps)}) × "
                         f"{percent(c.weight_in_product)} of product {c.product} "
                         f"({cls.product_source}, weights of {c.product_as_of})")
        text = f"{ticker} {percent(target.weight)}: " + " + ".join(parts)
        if target.satisfied_by:
            text += (f"; equivalence set {target.equivalence_set}: also satisfied by "
                     + ", ".join(target.satisfied_by))
        return text

    def as_record(self) -> dict[str, Any]:
        """JSON for the analysis record (weights as decimal strings to 12 places)."""
        def places(value: Decimal) -> str:
            return str(value.quantize(RECORD_PLACES))

        return {
            "as_of": self.as_of.isoformat(), "program": self.program,
            "allocation": self.allocation, "risk_profile": self.risk_profile,
            "errors": list(self.errors), "warnings": list(self.warnings),
            "asset_classes": [{
                "asset_class": c.asset_class, "weight": places(c.weight),
                "allocation_weight": places(c.allocation_weight),
                "program_weight": places(c.program_weight), "product": c.product,
                "product_source": c.product_source, "steps": list(c.steps)}
                for c in self.asset_classes],
            "securities": [{
                "security_id": s.security_id, "security": s.security, "weight": places(s.weight),
                "equivalence_set": s.equivalence_set, "satisfied_by": list(s.satisfied_by),
                "contributions": [{
                    "asset_class": c.asset_class, "product": c.product,
                    "product_version_id": c.product_version_id,
                    "product_as_of": c.product_as_of.isoformat(),
                    "weight_in_product": str(c.weight_in_product), "weight": places(c.weight)}
                    for c in s.contributions]}
                for s in self.securities],
        }

    def content_hash(self) -> str:
        """Identical targets hash alike (the record names the account separately)."""
        if "hash" not in self.shared:
            text = json.dumps(self.as_record(), sort_keys=True, separators=(",", ":"))
            self.shared["hash"] = hashlib.sha256(text.encode()).hexdigest()
        return str(self.shared["hash"])


def account_differences(settings: EffectiveSettings) -> tuple[Difference, ...]:
    """The account's differences from its program, from its effective settings (tilts are
    entered in percentage points and applied as fractions)."""
    differences: list[Difference] = []
    tilts = settings.values["allocation_tilts"]
    for ac, points in sorted(tilts.value.items()):
        differences.append(Difference("tilt", ac, tilts.item_sources[ac].label,
                                      tilt=points / HUNDRED))
    excluded = settings.values["excluded_asset_classes"]
    for ac in sorted(excluded.value):
        differences.append(Difference("exclude", ac, excluded.item_sources[ac].label))
    products = settings.values["product_choices"]
    for ac, product in sorted(products.value.items()):
        differences.append(Difference("product", ac, products.item_sources[ac].label,
                                      product_id=product))
    return tuple(differences)


class TargetResolver:
    """Resolves accounts against one model book; identical (program, differences) pairs are
    resolved once."""

    def __init__(self, book: ModelBook):
        self.book = book
        self._cache: dict[tuple[Any, ...], ResolvedTarget] = {}

    def resolve(self, row: AccountRow, settings: EffectiveSettings) -> ResolvedTarget:
        program = self.book.programs_by_code.get(row.program_code)
        if program is None:
            problem = (f"Program code {row.program_code!r} is not a program of the firm"
                       if row.program_code else "The account has no program code")
            return ResolvedTarget(row.id, self.book.as_of, row.program_code, "", "", (), (),
                                  errors=(f"{problem}: its target cannot be resolved.",))
        differences = account_differences(settings)
        key = (program.id, tuple(d.key() for d in differences))
        shared = self._cache.get(key)
        if shared is None:
            shared = self._resolve(program.id, differences)
            self._cache[key] = shared
        return replace(shared, account_id=row.id)

    def _resolve(self, program_id: int, differences: Sequence[Difference]) -> ResolvedTarget:
        book = self.book
        resolution = book.resolve_classes(program_id, differences)
        errors, warnings = list(resolution.errors), list(resolution.warnings)
        if not errors and differences:
            # A customization accepted under an older book may now break a limit: say so.
            warnings.extend(f"No longer within limits: {problem}"
                            for problem in book.limit_breaches(resolution))
        classes, securities = self._securities(resolution, errors)
        return ResolvedTarget(0, book.as_of, resolution.program_code, resolution.allocation_code,
                              resolution.risk_profile, classes, securities, tuple(errors),
                              tuple(warnings))

    def _securities(self, resolution: ClassResolution, errors: list[str]) -> tuple[
            tuple[AssetClassTarget, ...], tuple[SecurityTarget, ...]]:
        book = self.book
        classes = []
        parts: dict[int, list[Contribution]] = defaultdict(list)
        for target in resolution.classes:
            code = book.asset_classes[target.asset_class_id].code
            product = book.products.get(target.product_id) if target.product_id else None
            classes.append(AssetClassTarget(
                target.asset_class_id, code, target.weight, target.allocation_weight,
                target.program_weight, product.code if product else "", target.product_origin,
                target.steps))
            if product is None:
                continue
            version = book.versions.get(product.id)
            if version is None:
                errors.append(f"Product {product.code} has no weights on or before "
                              f"{book.as_of}.")
                continue
            for security_id, weight in version.weights:
                parts[security_id].append(Contribution(
                    code, product.code, version.id, version.as_of_date, weight,
                    target.weight * weight))
        securities = []
        for security_id, contributions in parts.items():
            label = book.security_labels.get(security_id, str(security_id))
            equivalence = book.equivalence_of.get(security_id)
            securities.append(SecurityTarget(
                security_id, label, sum((c.weight for c in contributions), Decimal(0)),
                tuple(contributions), equivalence.code if equivalence else "",
                tuple(book.security_labels.get(m, str(m)) for m in equivalence.members
                      if m != security_id) if equivalence else ()))
        securities.sort(key=lambda s: (-s.weight, s.security))
        return tuple(classes), tuple(securities)


def _hold_unknown_programs(targets: Mapping[int, ResolvedTarget], rows: Sequence[AccountRow],
                           book: ModelBook) -> None:
    """Hold accounts whose program is unknown; release those held earlier that now resolve."""
    unknown = {row.id: f"{targets[row.id].errors[0]} Fix the account's program code or add "
               "the program." for row in rows if row.program_code not in book.programs_by_code}
    held = set(AccountHold.objects.filter(
        account_id__in=list(targets), source=UNKNOWN_PROGRAM_SOURCE, cleared_at__isnull=True,
    ).values_list("account_id", flat=True))
    release = sorted(pk for pk in held if pk not in unknown)
    place = {pk: reason for pk, reason in unknown.items() if pk not in held}
    if not (release or place):
        return
    from accounts.services.holds import holds_clear, holds_place

    with audit_context(system_job="target resolution"):
        if place:
            holds_place(reasons=place, kind=AccountHold.Kind.DATA_ERROR,
                        source=UNKNOWN_PROGRAM_SOURCE)
        if release:
            holds_clear(source=UNKNOWN_PROGRAM_SOURCE, account_ids=release,
                        reason="the account's program now resolves")


def resolve_targets(accounts: Iterable[Any], as_of: date, *,
                    settings: Mapping[int, EffectiveSettings] | None = None,
                    rules: Mapping[int, Sequence[SettingsRule]] | None = None,
                    book: ModelBook | None = None,
                    hold_unknown_programs: bool = True) -> dict[int, ResolvedTarget]:
    """Targets of many accounts (objects, AccountRows or ids). Pass `settings` if already
    resolved (else they are, with `rules`), and `book` to reuse one across chunks."""
    rows = account_rows(accounts)
    if settings is None:
        settings = effective_settings_batch(rows, rules=rules)
    resolver = TargetResolver(book or ModelBook.load(as_of=as_of))
    targets = {row.id: resolver.resolve(row, settings[row.id]) for row in rows}
    if hold_unknown_programs:
        _hold_unknown_programs(targets, rows, resolver.book)
    return targets


def resolve_target(account: Any, as_of: date, *, rules: Sequence[SettingsRule] = (),
                   settings: EffectiveSettings | None = None,
                   hold_unknown_programs: bool = True) -> ResolvedTarget:
    """The account's security-level target on `as_of`, with the provenance of every weight."""
    row = account_rows([account])[0]
    return resolve_targets(
        [row], as_of, settings={row.id: settings} if settings is not None else None,
        rules={row.id: rules}, hold_unknown_programs=hold_unknown_programs)[row.id]


@dataclass(frozen=True)
class Resolved:
    """One account's effective settings and target, as the nightly cycle consumes them."""

    account_id: int
    settings: EffectiveSettings
    target: ResolvedTarget


def resolve_in_chunks(account_ids: Sequence[int], as_of: date, *,
                      rules: Mapping[int, Sequence[SettingsRule]] | None = None,
                      chunk_size: int = 5000,
                      hold_unknown_programs: bool = True) -> Iterator[list[Resolved]]:
    """Settings and targets of many accounts, a chunk at a time: the model book is read once,
    then each chunk costs a handful of queries whatever its size."""
    resolver = TargetResolver(ModelBook.load(as_of=as_of))
    for start in range(0, len(account_ids), chunk_size):
        rows = account_rows(account_ids[start:start + chunk_size])
        settings = effective_settings_batch(rows, rules=rules)
        targets = {row.id: resolver.resolve(row, settings[row.id]) for row in rows}
        if hold_unknown_programs:
            _hold_unknown_programs(targets, rows, resolver.book)
        yield [Resolved(row.id, settings[row.id], targets[row.id]) for row in rows]
