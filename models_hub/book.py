"""The firm's model book as one read, and the arithmetic of inheritance on it.

`ModelBook.load(as_of=…)` reads everything target resolution and the customization checks need
(asset classes, allocations, programs, products with the version in effect on `as_of`, approved
alternatives, equivalence sets, limits) in a dozen queries; after that, resolving or checking
any number of accounts touches no database.

Inheritance: a root program gives each asset class its allocation weight and a product; each
child program below it, and finally the account, applies only its differences — tilts, then
exclusions (the excluded weight is spread pro rata over what remains), then product choices.
Every weight keeps the steps that made it, in plain English.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from models_hub.models import (
    AllocationWeight,
    ApprovedAlternative,
    AssetAllocation,
    CustomizationLimit,
    EquivalenceMember,
    Program,
    ProgramProduct,
    RiskProfile,
    SecurityModel,
    SecurityModelVersion,
    SecurityModelWeight,
)

ZERO, ONE = Decimal(0), Decimal(1)
# Allocation and product weights must sum to 1 within this (the models feed's tolerance).
WEIGHT_TOLERANCE = Decimal("0.0001")
# Tilts must net to zero within this; weights closer than this to a bound do not breach it.
EPSILON = Decimal("0.0000000001")
HUNDRED = Decimal(100)


def percent(weight: Decimal) -> str:
    return f"{weight * HUNDRED:.2f}%"


def signed_percent(weight: Decimal) -> str:
    return f"{weight * HUNDRED:+.2f}%"


class InheritanceCycle(ValueError):
    """A program that (through its parents) inherits from itself."""


@dataclass(frozen=True, slots=True)
class AssetClassInfo:
    id: int
    code: str
    name: str
    parent_id: int | None

    @property
    def label(self) -> str:
        return self.name if self.name and self.name != self.code else self.code


@dataclass(frozen=True, slots=True)
class AllocationInfo:
    id: int
    code: str
    name: str
    risk_profile: str
    weights: Mapping[int, Decimal]


@dataclass(frozen=True, slots=True)
class ProductInfo:
    id: int
    code: str
    name: str
    asset_class_id: int | None
    kind: str
    provider_code: str


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    product_id: int
    as_of_date: date
    weights: tuple[tuple[int, Decimal], ...]  # (security id, weight)


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    id: int
    code: str
    name: str
    parent_id: int | None
    allocation_id: int | None
    excluded: frozenset[int]
    tilts: Mapping[int, Decimal]  # fractions
    products: Mapping[int, int]  # asset class id -> product id


@dataclass(frozen=True, slots=True)
class LimitInfo:
    id: int
    name: str
    risk_profile: str
    asset_class_id: int
    max_change: Decimal | None
    min_weight: Decimal | None
    max_weight: Decimal | None


@dataclass(frozen=True, slots=True)
class EquivalenceInfo:
    id: int
    code: str
    name: str
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    """One customization and who made it: exclude an asset class, tilt it (a fraction, up or
    down) or implement it with another product."""

    kind: str  # "exclude" | "tilt" | "product"
    asset_class_id: int
    origin: str  # plain English: "program BAL60-MF", "account override", "rule 12 (ESG)"
    tilt: Decimal = ZERO
    product_id: int | None = None

    def key(self) -> tuple[str, int, str, Decimal, int | None]:
        return (self.kind, self.asset_class_id, self.origin, self.tilt, self.product_id)


@dataclass(frozen=True, slots=True)
class ClassTarget:
    """An asset class's weight after inheritance, and the product that implements it."""

    asset_class_id: int
    weight: Decimal
    allocation_weight: Decimal  # in the root program's allocation
    program_weight: Decimal  # after the program chain, before the account's own differences
    product_id: int | None
    product_origin: str
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ClassResolution:
    """A program (plus differences) resolved to asset-class weights and products."""

    program_id: int
    program_code: str
    allocation_code: str
    risk_profile: str
    classes: tuple[ClassTarget, ...]  # weight > 0 only, by asset class code
    program_weights: Mapping[int, Decimal]  # the program's own, for limits
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def weights(self) -> dict[int, Decimal]:
        return {c.asset_class_id: c.weight for c in self.classes}


@dataclass
class _Working:
    weights: dict[int, Decimal]
    steps: dict[int, list[str]]
    products: dict[int, tuple[int, str]]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ModelBook:
    """A read-only snapshot of the firm's model book on one date."""

    def __init__(self, *, as_of: date, asset_classes: Mapping[int, AssetClassInfo],
                 allocations: Mapping[int, AllocationInfo], programs: Mapping[int, ProgramInfo],
                 products: Mapping[int, ProductInfo], versions: Mapping[int, VersionInfo],
                 alternatives: Mapping[int, frozenset[int]], limits: Sequence[LimitInfo],
                 equivalence_sets: Sequence[EquivalenceInfo],
                 security_labels: Mapping[int, str]):
        self.as_of = as_of
        self.asset_classes = dict(asset_classes)
        self.allocations = dict(allocations)
        self.programs = dict(programs)
        self.products = dict(products)
        self.versions = dict(versions)
        self.alternatives = dict(alternatives)
        self.limits = list(limits)
        self.equivalence_sets = list(equivalence_sets)
        self.security_labels = dict(security_labels)
        self.programs_by_code = {p.code: p for p in self.programs.values()}
        self.products_by_code = {p.code: p for p in self.products.values()}
        self.asset_classes_by_code = {a.code: a for a in self.asset_classes.values()}
        self.equivalence_of = {member: s for s in self.equivalence_sets for member in s.members}
        self._ancestors: dict[int, frozenset[int]] = {}
        self._program_cache: dict[int, _Working | Exception] = {}

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, *, as_of: date) -> ModelBook:
        """The book as published now, with each product's weights in effect on `as_of`."""
        from dataops.models import AssetClass, Security

        asset_classes = {pk: AssetClassInfo(pk, code, name, parent) for pk, code, name, parent in
                         AssetClass.objects.values_list("pk", "code", "name", "parent_id")}
        allocation_weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for allocation_id, asset_class_id, weight in AllocationWeight.objects.values_list(
                "allocation_id", "asset_class_id", "weight"):
            allocation_weights[allocation_id][asset_class_id] = weight
        allocations = {pk: AllocationInfo(pk, code, name, risk, allocation_weights[pk])
                       for pk, code, name, risk in AssetAllocation.objects.values_list(
                           "pk", "code", "name", "risk_profile")}
        program_products: dict[int, dict[int, int]] = defaultdict(dict)
        for program_id, asset_class_id, product_id in ProgramProduct.objects.values_list(
                "program_id", "asset_class_id", "product_id"):
            program_products[program_id][asset_class_id] = product_id
        programs = {}
        for pk, code, name, parent, allocation, excluded, tilts in Program.objects.values_list(
                "pk", "code", "name", "parent_id", "allocation_id", "excluded_asset_classes",
                "tilts"):
            programs[pk] = ProgramInfo(
                pk, code, name, parent, allocation, frozenset(excluded or ()),
                {int(k): Decimal(v) for k, v in (tilts or {}).items()}, program_products[pk])
        products = {pk: ProductInfo(pk, code, name, asset_class, kind, provider) for
                    pk, code, name, asset_class, kind, provider in
                    SecurityModel.objects.values_list("pk", "code", "name", "asset_class_id",
                                                      "kind", "provider_code")}
        latest = list(SecurityModelVersion.objects.filter(as_of_date__lte=as_of)
                      .order_by("model_id", "-as_of_date", "-pk").distinct("model_id")
                      .values_list("pk", "model_id", "as_of_date"))
        version_weights: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        for version_id, security_id, weight in (
                SecurityModelWeight.objects.filter(version_id__in=[v[0] for v in latest])
                .order_by("version_id", "-weight", "security_id")
                .values_list("version_id", "security_id", "weight")):
            version_weights[version_id].append((security_id, weight))
        versions = {model_id: VersionInfo(pk, model_id, day, tuple(version_weights[pk]))
                    for pk, model_id, day in latest}
        alternatives: dict[int, set[int]] = defaultdict(set)
        for asset_class_id, product_id in ApprovedAlternative.objects.values_list(
                "asset_class_id", "product_id"):
            alternatives[asset_class_id].add(product_id)
        limits = [LimitInfo(*row) for row in CustomizationLimit.objects.order_by("pk").values_list(
            "pk", "name", "risk_profile", "asset_class_id", "max_change", "min_weight",
            "max_weight")]
        members: dict[int, list[int]] = defaultdict(list)
        set_names: dict[int, tuple[str, str]] = {}
        for set_id, code, name, security_id in EquivalenceMember.objects.order_by(
                "equivalence_set__code", "security__ticker", "security_id").values_list(
                "equivalence_set_id", "equivalence_set__code", "equivalence_set__name",
                "security_id"):
            members[set_id].append(security_id)
            set_names[set_id] = (code, name)
        equivalence = [EquivalenceInfo(pk, set_names[pk][0], set_names[pk][1], tuple(ids))
                       for pk, ids in members.items()]
        security_ids = {s for v in versions.values() for s, _ in v.weights} | {
            s for e in equivalence for s in e.members}
        labels = {pk: ticker or cusip or name for pk, ticker, cusip, name in
                  Security.objects.filter(pk__in=security_ids).values_list(
                      "pk", "ticker", "cusip", "name")}
        return cls(as_of=as_of, asset_classes=asset_classes, allocations=allocations,
                   programs=programs, products=products, versions=versions,
                   alternatives={k: frozenset(v) for k, v in alternatives.items()},
                   limits=limits, equivalence_sets=equivalence, security_labels=labels)

    def replaced(self, *, programs: Iterable[ProgramInfo] = (),
                 allocations: Iterable[AllocationInfo] = (),
                 products: Iterable[ProductInfo] = ()) -> ModelBook:
        """The same book with some structures as a draft proposes them (to check the draft)."""
        return ModelBook(
            as_of=self.as_of, asset_classes=self.asset_classes,
            allocations={**self.allocations, **{a.id: a for a in allocations}},
            programs={**self.programs, **{p.id: p for p in programs}},
            products={**self.products, **{p.id: p for p in products}},
            versions=self.versions, alternatives=self.alternatives, limits=self.limits,
            equivalence_sets=self.equivalence_sets, security_labels=self.security_labels)

    def descendants(self, program_id: int) -> list[int]:
        """Programs that inherit from this one, directly or not (cycles stop the walk)."""
        found: list[int] = []
        frontier = [program_id]
        while frontier:
            parent = frontier.pop()
            for program in self.programs.values():
                if program.parent_id == parent and program.id not in found and \
                        program.id != program_id:
                    found.append(program.id)
                    frontier.append(program.id)
        return found

    # --- the asset-class tree --------------------------------------------------------------

    def ancestors(self, asset_class_id: int) -> frozenset[int]:
        """The class itself and every class above it: by parent links, and by its dotted code
        (EQ.US.LARGE is under EQ.US and EQ even where the feed delivered only leaves)."""
        found = self._ancestors.get(asset_class_id)
        if found is None:
            seen: set[int] = set()
            node = self.asset_classes.get(asset_class_id)
            while node is not None and node.id not in seen:
                seen.add(node.id)
                node = self.asset_classes.get(node.parent_id) if node.parent_id else None
            start = self.asset_classes.get(asset_class_id)
            if start is not None:
                parts = start.code.split(".")
                for end in range(1, len(parts)):
                    prefix = self.asset_classes_by_code.get(".".join(parts[:end]))
                    if prefix is not None:
                        seen.add(prefix.id)
            found = frozenset(seen)
            self._ancestors[asset_class_id] = found
        return found

    def covers(self, node_id: int, asset_class_id: int) -> bool:
        return node_id in self.ancestors(asset_class_id)

    def node_weight(self, weights: Mapping[int, Decimal], node_id: int) -> Decimal:
        """The weight of a branch of the tree (e.g. all equity) in leaf weights."""
        return sum((w for ac, w in weights.items() if self.covers(node_id, ac)), ZERO)

    def class_label(self, asset_class_id: int) -> str:
        info = self.asset_classes.get(asset_class_id)
        return info.label if info else f"asset class {asset_class_id}"

    def product_label(self, product_id: int | None) -> str:
        info = self.products.get(product_id) if product_id is not None else None
        return info.code if info else f"product {product_id}"

    # --- programs ----------------------------------------------------------------------------

    def program_chain(self, program_id: int) -> list[ProgramInfo]:
        """The program and its ancestors, root first; a cycle is an error naming it."""
        chain: list[ProgramInfo] = []
        seen: list[int] = []
        current: int | None = program_id
        while current is not None:
            if current in seen:
                names = " → ".join(self.programs[p].code for p in [*seen, current])
                raise InheritanceCycle(f"Programs inherit in a cycle: {names}.")
            seen.append(current)
            program = self.programs.get(current)
            if program is None:
                raise ValueError(f"program {current} does not exist")
            chain.append(program)
            current = program.parent_id
        return list(reversed(chain))

    def program_differences(self, program: ProgramInfo) -> list[Difference]:
        origin = f"program {program.code}"
        differences = [Difference("tilt", ac, origin, tilt=t)
                       for ac, t in sorted(program.tilts.items())]
        differences += [Difference("exclude", ac, origin) for ac in sorted(program.excluded)]
        differences += [Difference("product", ac, origin, product_id=p)
                        for ac, p in sorted(program.products.items())]
        return differences

    def _program_working(self, program_id: int) -> _Working:
        cached = self._program_cache.get(program_id)
        if cached is None:
            try:
                cached = self._resolve_program(program_id)
            except (InheritanceCycle, ValueError) as error:
                cached = error
            self._program_cache[program_id] = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def _resolve_program(self, program_id: int) -> _Working:
        chain = self.program_chain(program_id)
        root = chain[0]
        allocation = self.allocations.get(root.allocation_id) if root.allocation_id else None
        if allocation is None:
            raise ValueError(f"program {root.code} has no allocation")
        total = sum(allocation.weights.values(), ZERO)
        if total <= 0:
            raise ValueError(f"allocation {allocation.code} has no weights")
        work = _Working(weights={}, steps={}, products={})
        for ac, weight in sorted(allocation.weights.items()):
            if weight <= 0:
                continue
            work.weights[ac] = weight / total
            work.steps[ac] = [f"{percent(weight / total)} in allocation {allocation.code}"]
        for ac, product in root.products.items():
            work.products[ac] = (product, f"program {root.code}")
        for child in chain[1:]:
            apply_differences(self, work, self.program_differences(child))
        return work

    def allocation_of(self, program_id: int) -> AllocationInfo:
        root = self.program_chain(program_id)[0]
        return self.allocations[root.allocation_id]  # type: ignore[index]

    def resolve_classes(self, program_id: int,
                        differences: Sequence[Difference] = ()) -> ClassResolution:
        """The program's asset-class weights and products with `differences` applied on top."""
        program = self.programs[program_id]
        try:
            base = self._program_working(program_id)
            allocation = self.allocation_of(program_id)
        except (InheritanceCycle, ValueError) as error:
            return ClassResolution(program_id, program.code, "", "", (), {},
                                   errors=(str(error),))
        work = _Working(weights=dict(base.weights),
                        steps={ac: list(s) for ac, s in base.steps.items()},
                        products=dict(base.products), errors=list(base.errors),
                        warnings=list(base.warnings))
        if differences:
            apply_differences(self, work, differences)
        classes = []
        for ac, weight in work.weights.items():
            if weight <= 0:
                continue
            product_id, origin = work.products.get(ac, (None, ""))
            if product_id is None:
                work.errors.append(f"Program {program.code} has no product for "
                                   f"{self.class_label(ac)}.")
            classes.append(ClassTarget(
                ac, weight, allocation.weights.get(ac, ZERO) / sum(
                    allocation.weights.values(), ZERO),
                base.weights.get(ac, ZERO), product_id, origin, tuple(work.steps.get(ac, ()))))
        classes.sort(key=lambda c: self.asset_classes[c.asset_class_id].code
                     if c.asset_class_id in self.asset_classes else str(c.asset_class_id))
        return ClassResolution(program_id, program.code, allocation.code, allocation.risk_profile,
                               tuple(classes), dict(base.weights), tuple(work.errors),
                               tuple(work.warnings))

    # --- customization limits ----------------------------------------------------------------

    def check_customization(self, program_id: int,
                            differences: Sequence[Difference]) -> list[str]:
        """Why these differences may not be applied to the program, in plain English; empty
        when they may. Substitutions only among the approved alternatives of the same asset
        class; tilts between classes the program holds, netting to zero; not everything
        excluded; and every limit for the program's risk profile respected."""
        problems: list[str] = []
        program = self.programs[program_id]
        try:
            base = self._program_working(program_id)
        except (InheritanceCycle, ValueError) as error:
            return [str(error)]
        for d in differences:
            if d.asset_class_id not in self.asset_classes:
                problems.append(f"Asset class {d.asset_class_id} does not exist.")
            elif d.kind == "product":
                problems.extend(self._substitution_problems(program, base, d))
            elif d.kind == "tilt" and d.asset_class_id not in base.weights:
                problems.append(
                    f"{self.class_label(d.asset_class_id)} is not in program {program.code}: a "
                    "tilt moves weight between asset classes the program holds.")
        tilts = [d for d in differences if d.kind == "tilt"]
        net = sum((d.tilt for d in tilts), ZERO)
        if abs(net) > EPSILON:
            problems.append(f"Tilts must add up to zero (they move weight from one asset class "
                            f"to another); these add up to {signed_percent(net)}.")
        if problems:
            return problems
        resolution = self.resolve_classes(program_id, differences)
        problems.extend(resolution.errors)
        if problems:
            return problems
        return self.limit_breaches(resolution)

    def _substitution_problems(self, program: ProgramInfo, base: _Working,
                               d: Difference) -> list[str]:
        label = self.class_label(d.asset_class_id)
        product = self.products.get(d.product_id) if d.product_id is not None else None
        if product is None:
            return [f"Product {d.product_id} does not exist."]
        if product.asset_class_id != d.asset_class_id:
            implemented = (self.class_label(product.asset_class_id)
                           if product.asset_class_id else "no asset class yet")
            return [f"{product.code} implements {implemented}, not {label}: a substitution "
                    "stays within its asset class."]
        default = base.products.get(d.asset_class_id, (None, ""))[0]
        approved = self.alternatives.get(d.asset_class_id, frozenset())
        if product.id == default or product.id in approved:
            return []
        names = sorted(self.product_label(p) for p in approved if p != default)
        listed = (f"approved alternatives are {', '.join(names)}" if names
                  else "there are no approved alternatives")
        return [f"{product.code} is not an approved alternative for {label} in program "
                f"{program.code} ({listed})."]

    def limit_breaches(self, resolution: ClassResolution) -> list[str]:
        """The customization limits that the resolution's weights break, each named."""
        problems = []
        after = resolution.weights
        before = resolution.program_weights
        profile_labels = dict(RiskProfile.choices)
        for limit in self.limits:
            if limit.risk_profile and limit.risk_profile != resolution.risk_profile:
                continue
            was = self.node_weight(before, limit.asset_class_id)
            now = self.node_weight(after, limit.asset_class_id)
            if abs(now - was) <= EPSILON:
                continue
            label = self.class_label(limit.asset_class_id)
            who = (f"{profile_labels.get(limit.risk_profile, limit.risk_profile)} accounts"
                   if limit.risk_profile else "accounts")
            if limit.max_change is not None and abs(now - was) > limit.max_change + EPSILON:
                problems.append(
                    f"Limit “{limit.name}”: {label} would be {percent(now)} against "
                    f"{percent(was)} in program {resolution.program_code}, a change of "
                    f"{signed_percent(now - was)}; {who} may move it by at most "
                    f"{percent(limit.max_change)}.")
            if limit.min_weight is not None and now < limit.min_weight - EPSILON:
                problems.append(
                    f"Limit “{limit.name}”: {label} would be {percent(now)}; {who} keep at "
                    f"least {percent(limit.min_weight)}.")
            if limit.max_weight is not None and now > limit.max_weight + EPSILON:
                problems.append(
                    f"Limit “{limit.name}”: {label} would be {percent(now)}; {who} hold at "
                    f"most {percent(limit.max_weight)}.")
        return problems


def apply_differences(book: ModelBook, work: _Working, differences: Iterable[Difference]) -> None:
    """One level's differences: tilts, then exclusions (pro rata), then product choices."""
    differences = list(differences)
    tilted = False
    for d in differences:
        if d.kind != "tilt" or not d.tilt:
            continue
        tilted = True
        current = work.weights.get(d.asset_class_id, ZERO)
        steps = work.steps.setdefault(d.asset_class_id, [])
        steps.append(f"{signed_percent(d.tilt)} tilt ({d.origin})")
        new = current + d.tilt
        if new < 0:
            work.warnings.append(
                f"The {signed_percent(d.tilt)} tilt of {book.class_label(d.asset_class_id)} "
                f"({d.origin}) is more than its {percent(current)}; it stops at zero.")
            steps.append("stopped at 0.00%")
            new = ZERO
        work.weights[d.asset_class_id] = new
    if tilted:
        total = sum(work.weights.values(), ZERO)
        if total > 0 and abs(total - ONE) > EPSILON:
            for ac in work.weights:
                work.weights[ac] = work.weights[ac] / total
                work.steps[ac].append(f"scaled so that the target sums to 100% (was "
                                      f"{percent(total)})")
    excluded: dict[int, str] = {}
    for d in differences:
        if d.kind != "exclude":
            continue
        for ac in work.weights:
            if ac not in excluded and book.covers(d.asset_class_id, ac):
                excluded[ac] = d.origin
    if excluded:
        removed = sum((work.weights[ac] for ac in excluded), ZERO)
        total = sum(work.weights.values(), ZERO)
        remaining = total - removed
        if remaining <= EPSILON:
            names = ", ".join(sorted(book.class_label(ac) for ac in excluded))
            work.errors.append(f"Excluding {names} would exclude every asset class of the "
                               "program; at least one must remain.")
            return
        names = ", ".join(f"{book.class_label(ac)} ({origin})"
                          for ac, origin in sorted(excluded.items(),
                                                   key=lambda i: book.class_label(i[0])))
        factor = total / remaining
        for ac in list(work.weights):
            if ac in excluded:
                del work.weights[ac]
                continue
            added = work.weights[ac] * (factor - ONE)
            if added:
                work.weights[ac] += added
                work.steps[ac].append(f"{signed_percent(added)} from excluding {names}, "
                                      "pro rata")
    for d in differences:
        if d.kind == "product" and d.product_id is not None:
            work.products[d.asset_class_id] = (d.product_id, d.origin)
