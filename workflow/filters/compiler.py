"""Filters compiled to one database query over the firm's accounts.

A query is JSON: a condition `{"field": "turnover", "op": "gt", "value": 5}` or a group
`{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}`. It compiles to a `Q` over `Account`
whose subqueries (holdings, holds, the latest analysis) each carry an explicit `firm_id = …`
predicate, with custom fields' JSON values cast to numeric, date or boolean and the analysis
read from typed columns (workflow.LatestAnalysis), so that the whole filter runs as one
statement in PostgreSQL, indexes on firm_id serving under row-level security.
Nothing is loaded into Python but the few rows that check the query (custom-field types,
tickers, advisors). Unknown fields, bad operators and bad values are refused, every problem
named at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    In,
    IsNull,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
    Range,
)
from django.utils import timezone

from accounts.models import Account, AccountHold, CashBalance, CustomField, LotSet, TaxLot
from dataops.models import Price, Security
from workflow.filters.fields import (
    ANALYSIS,
    BOOLEAN,
    BUILT_IN_FIELDS,
    CHOICE,
    CUSTOM,
    CUSTOM_PREFIX,
    DATE,
    HOLDINGS,
    HOLDS,
    NUMBER,
    PERCENT_METRICS,
    SECURITIES,
    TEXT,
    FieldSpec,
)
from workflow.models.latest_analysis import LatestAnalysis

GROUPS = ("all", "any", "not")
MAX_DEPTH = 6


class FilterError(ValueError):
    """A query the compiler refuses; `problems` names each field, operator or value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class _Cast(models.Func):
    """`(expression)::type`: a JSON text value as a typed column."""

    def __init__(self, expression: Any, sql_type: str, output_field: models.Field):
        super().__init__(expression, output_field=output_field)
        self.template = f"(%(expressions)s)::{sql_type}"


def _numeric(expression: Any) -> _Cast:
    return _Cast(expression, "numeric", models.DecimalField())


@dataclass(frozen=True)
class _Leaf:
    spec: FieldSpec
    op: str
    value: Any
    custom_type: str = ""


def _compare(expression: Any, op: str, value: Any, kind: str) -> Q:
    """A condition on a typed expression; "is not" and "none of" include missing values."""
    simple: dict[str, Callable[[Any, Any], Any]] = {
        "eq": Exact, "is": Exact, "gt": GreaterThan, "gte": GreaterThanOrEqual,
        "lt": LessThan, "lte": LessThanOrEqual, "before": LessThan, "after": GreaterThan,
        "in": In, "any_of": In, "contains": IContains, "starts_with": IStartsWith,
        "between": Range,
    }
    if op in simple:
        return Q(simple[op](expression, value))
    if op in ("ne", "not_in", "none_of"):
        lookup = In if op != "ne" else Exact
        return Q(IsNull(expression, True)) | ~Q(lookup(expression, value))
    if op == "is_empty":
        empty = Q(IsNull(expression, True))
        return empty | Q(Exact(expression, "")) if kind == TEXT else empty
    raise AssertionError(op)


class FilterCompiler:
    """Checks and compiles queries for one firm, as of one date (holdings and analyses on or
    before it)."""

    def __init__(self, *, firm_id: int, as_of: date, allow_analysis: bool = True):
        self.firm_id = firm_id
        self.as_of = as_of
        self.allow_analysis = allow_analysis
        self._custom: dict[str, str] | None = None

    # Checking --------------------------------------------------------------------------------

    @property
    def custom_types(self) -> dict[str, str]:
        if self._custom is None:
            self._custom = dict(CustomField.objects.filter(firm_id=self.firm_id)
                                .values_list("name", "field_type"))
        return self._custom

    def check(self, query: Any) -> Any:
        """The query with values typed; FilterError naming every problem."""
        problems: list[str] = []
        leaves: list[_Leaf] = []
        tree = self._check(query, problems, leaves, depth=0, where="query")
        self._resolve_names(leaves, problems)
        if problems:
            raise FilterError(problems)
        return tree

    def _check(self, node: Any, problems: list[str], leaves: list[_Leaf], *, depth: int,
               where: str) -> Any:
        if not isinstance(node, Mapping):
            problems.append(f"{where}: expected a condition or a group, got {node!r}")
            return None
        if depth > MAX_DEPTH:
            problems.append(f"{where}: groups nested more than {MAX_DEPTH} deep")
            return None
        groups = [key for key in GROUPS if key in node]
        if groups:
            if len(node) != 1:
                problems.append(f"{where}: a group has exactly one key of {', '.join(GROUPS)}")
                return None
            key = groups[0]
            if key == "not":
                return {"not": self._check(node["not"], problems, leaves, depth=depth + 1,
                                           where=f"{where}.not")}
            children = node[key]
            if not isinstance(children, list):
                problems.append(f"{where}.{key}: expected a list of conditions")
                return None
            return {key: [self._check(child, problems, leaves, depth=depth + 1,
                                      where=f"{where}.{key}[{i}]")
                          for i, child in enumerate(children)]}
        leaf = self._check_leaf(node, problems, where)
        if leaf is not None:
            leaves.append(leaf)
        return leaf

    def _spec(self, name: Any) -> tuple[FieldSpec | None, str]:
        if not isinstance(name, str):
            return None, ""
        if name.startswith(CUSTOM_PREFIX):
            custom = name[len(CUSTOM_PREFIX):]
            field_type = self.custom_types.get(custom)
            if field_type is None:
                return None, ""
            kind = {"number": NUMBER, "date": DATE, "boolean": BOOLEAN}.get(field_type, TEXT)
            return FieldSpec(name, custom, kind, CUSTOM, custom), field_type
        return BUILT_IN_FIELDS.get(name), ""

    def _check_leaf(self, node: Mapping[str, Any], problems: list[str],
                    where: str) -> _Leaf | None:
        unknown_keys = set(node) - {"field", "op", "value"}
        if unknown_keys:
            problems.append(f"{where}: unknown keys {', '.join(sorted(unknown_keys))}")
            return None
        name, op = node.get("field"), node.get("op")
        spec, custom_type = self._spec(name)
        if spec is None:
            problems.append(f"{where}: unknown field {name!r}")
            return None
        if spec.reads_analysis and not self.allow_analysis:
            problems.append(f"{where}: {name} reads the analysis, which settings rules may "
                            "not use")
            return None
        if op not in spec.operators:
            problems.append(f"{where}: {name} does not take the operator {op!r} (use one of "
                            f"{', '.join(spec.operators)})")
            return None
        try:
            value = self._typed(spec, op, node.get("value"))
        except (ValueError, TypeError, InvalidOperation) as error:
            problems.append(f"{where}: {name} {op}: {error}")
            return None
        return _Leaf(spec, op, value, custom_type)

    def _typed(self, spec: FieldSpec, op: str, value: Any) -> Any:
        if op == "is_empty":
            return None
        if op in ("in", "not_in", "any_of", "none_of"):
            items = value if isinstance(value, list) else [value] if isinstance(
                value, str) else None
            if not items:
                raise ValueError("expected a non-empty list")
            return [self._one(spec, item) for item in items]
        if op == "between":
            if not (isinstance(value, list) and len(value) == 2):
                raise ValueError("expected [low, high]")
            low, high = (self._one(spec, item) for item in value)
            if low > high:
                raise ValueError(f"{low} is above {high}")
            return (low, high)
        return self._one(spec, value)

    def _one(self, spec: FieldSpec, value: Any) -> Any:
        if value is None or value == "":
            raise ValueError("a value is required")
        if spec.kind == NUMBER:
            if isinstance(value, bool):
                raise ValueError(f"expected a number, got {value!r}")
            number = Decimal(str(value))
            if not number.is_finite():
                raise ValueError(f"expected a number, got {value!r}")
            # People enter percentages; the analysis keeps fractions.
            return number / 100 if spec.name in PERCENT_METRICS else number
        if spec.kind == DATE:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if spec.kind == BOOLEAN:
            if isinstance(value, bool):
                return value
            lowered = str(value).lower()
            if lowered not in ("true", "false", "yes", "no"):
                raise ValueError(f"expected true or false, got {value!r}")
            return lowered in ("true", "yes")
        text = str(value).strip()
        if spec.kind == CHOICE and text not in spec.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(spec.choices)}")
        return text.upper() if spec.kind == SECURITIES else text

    def _resolve_names(self, leaves: list[_Leaf], problems: list[str]) -> None:
        """Tickers → security ids and advisor emails → people, refusing unknown names."""
        tickers = {t for leaf in leaves if leaf.spec.kind == SECURITIES for t in leaf.value}
        if tickers:
            self._securities: dict[str, list[int]] = {}
            for pk, ticker in Security.objects.filter(
                    firm_id=self.firm_id, ticker__in=tickers).values_list("pk", "ticker"):
                self._securities.setdefault(ticker, []).append(pk)
            missing = sorted(tickers - set(self._securities))
            if missing:
                problems.append(f"holds: no security with ticker {', '.join(missing)}")
        emails = {e for leaf in leaves if leaf.spec.name == "advisor" and leaf.value
                  for e in (leaf.value if isinstance(leaf.value, list) else [leaf.value])}
        if emails:
            from rebal.models import Membership

            members = Membership.objects.filter(firm_id=self.firm_id, user__email__in=emails)
            self._advisors = {m.user.email: m.user for m in members.select_related("user")}
            missing = sorted(emails - set(self._advisors))
            if missing:
                problems.append(f"advisor: no member of the firm with email "
                                f"{', '.join(missing)}")

    # Compiling -------------------------------------------------------------------------------

    def compile(self, query: Any) -> Q:
        """The `Q` over `Account` for a query (checked first)."""
        return self._build(self.check(query))

    def accounts(self, query: Any) -> models.QuerySet[Account]:
        """The firm's accounts the query selects: one statement, nothing evaluated."""
        return Account.objects.filter(firm_id=self.firm_id).filter(self.compile(query))

    def _build(self, node: Any) -> Q:
        if isinstance(node, _Leaf):
            if node.spec.source == ANALYSIS:
                return self._analysis(self._analysis_leaf(node))
            return self._leaf(node)
        if "not" in node:
            return ~self._build(node["not"])
        key, children = next(iter(node.items()))
        combine = (lambda a, b: a & b) if key == "all" else (lambda a, b: a | b)
        # Conditions on the latest analysis in one group share one subquery: an account has
        # one latest analysis, so "its analysis has a and b" is "a and b" of it.
        metric_parts = [self._analysis_leaf(c) for c in children
                        if isinstance(c, _Leaf) and c.spec.source == ANALYSIS]
        parts = [self._build(c) for c in children
                 if not (isinstance(c, _Leaf) and c.spec.source == ANALYSIS)]
        if metric_parts:
            merged = metric_parts[0]
            for part in metric_parts[1:]:
                merged = combine(merged, part)
            parts.append(self._analysis(merged))
        if not parts:
            return Q() if key == "all" else Q(pk__in=[])
        result = parts[0]
        for part in parts[1:]:
            result = combine(result, part)
        return result

    def _analysis_leaf(self, leaf: _Leaf) -> Q:
        return _compare(F(leaf.spec.column), leaf.op, leaf.value, leaf.spec.kind)

    def _analysis(self, condition: Q) -> Q:
        matching = LatestAnalysis.objects.filter(firm_id=self.firm_id,
                                                 trade_date__lte=self.as_of).filter(condition)
        return Q(pk__in=matching.values("account_id"))

    def _leaf(self, leaf: _Leaf) -> Q:
        spec = leaf.spec
        if spec.name == "advisor":
            people = [self._advisors[e] for e in (
                leaf.value if isinstance(leaf.value, list) else [leaf.value])]
            granted = Q(pk__in=[])
            for person in people:
                granted |= Account.assigned_to(person)
            return ~granted if leaf.op in ("ne", "not_in") else granted
        if spec.source == HOLDS:
            return self._holds(leaf)
        if spec.source == CUSTOM and spec.kind in (TEXT, BOOLEAN) and leaf.op in (
                "eq", "in", "is"):
            # Containment rather than a cast: PostgreSQL estimates it from the column's
            # statistics, so the planner sizes the rest of the query right.
            values = leaf.value if isinstance(leaf.value, list) else [leaf.value]
            contained = Q(pk__in=[])
            for value in values:
                contained |= Q(custom_fields__contains={spec.column: value})
            return contained
        if spec.source == HOLDINGS and spec.kind == SECURITIES:
            ids = [pk for ticker in leaf.value for pk in self._securities[ticker]]
            held = Exists(self._current_lots(OuterRef(OuterRef("pk"))).filter(
                security_id__in=ids))
            return Q(held) if leaf.op == "any_of" else ~Q(held)
        return _compare(self._expression(leaf), leaf.op, leaf.value, spec.kind)

    def _expression(self, leaf: _Leaf) -> Any:
        spec = leaf.spec
        if spec.source == CUSTOM:
            text = KeyTextTransform(spec.column, "custom_fields")
            return {NUMBER: _numeric, DATE: lambda e: _Cast(e, "date", models.DateField()),
                    BOOLEAN: lambda e: _Cast(e, "boolean", models.BooleanField())}.get(
                spec.kind, lambda e: e)(text)
        if spec.source == HOLDINGS:
            return self._holdings_expression(spec.column)
        return F(spec.column)

    def _holds(self, leaf: _Leaf) -> Q:
        open_holds = AccountHold.objects.filter(firm_id=self.firm_id, account_id=OuterRef("pk"),
                                                cleared_at__isnull=True)
        if leaf.spec.name == "has_hold":
            return Q(Exists(open_holds)) if leaf.value else ~Q(Exists(open_holds))
        kinds = leaf.value if isinstance(leaf.value, list) else [leaf.value]
        held = Exists(open_holds.filter(kind__in=kinds))
        return Q(held) if leaf.op in ("eq", "in") else ~Q(held)

    # Holdings: the newest lot set and cash on or before the date, at the latest prices. ------

    def _current_lots(self, account: Any) -> models.QuerySet[TaxLot]:
        lot_set = (LotSet.objects.filter(firm_id=self.firm_id, account_id=account,
                                         business_date__lte=self.as_of)
                   .order_by("-business_date", "-feed_file__seq", "-pk").values("pk")[:1])
        return TaxLot.objects.filter(firm_id=self.firm_id, lot_set_id=Subquery(lot_set))

    def _current_cash(self, column: str) -> Subquery:
        return Subquery(CashBalance.objects.filter(
            firm_id=self.firm_id, account_id=OuterRef("pk"), business_date__lte=self.as_of)
            .order_by("-business_date", "-feed_file__seq", "-pk").values(column)[:1])

    def _lot_value(self) -> Any:
        price = Price.objects.filter(firm_id=self.firm_id, security_id=OuterRef("security_id"),
                                     as_of_date__lte=self.as_of).order_by("-as_of_date")
        return Sum(F("quantity") * Subquery(price.values("close")[:1]),
                   output_field=models.DecimalField())

    def _holdings_expression(self, column: str) -> Any:
        zero = Value(Decimal(0), output_field=models.DecimalField())
        if column == "pending_withdrawal":
            return self._current_cash("pending_withdrawal")
        lots = self._current_lots(OuterRef(OuterRef("pk"))).order_by()
        total = Subquery(lots.values("lot_set_id").annotate(v=self._lot_value()).values("v")[:1],
                         output_field=models.DecimalField())
        value = Coalesce(total, zero) + Coalesce(self._current_cash("cash"), zero)
        if column == "holdings_value":
            return value
        if column == "pending_withdrawal_percent":
            return 100 * self._current_cash("pending_withdrawal") / NullIf(value, zero)
        largest = Subquery(lots.values("security_id").annotate(v=self._lot_value())
                           .order_by("-v").values("v")[:1], output_field=models.DecimalField())
        return 100 * largest / NullIf(value, zero)


def accounts_matching(query: Any, *, firm_id: int, as_of: date,
                      allow_analysis: bool = True) -> models.QuerySet[Account]:
    """The firm's accounts a query selects (a lazy queryset: one statement when evaluated)."""
    return FilterCompiler(firm_id=firm_id, as_of=as_of,
                          allow_analysis=allow_analysis).accounts(query)


def query_check(query: Any, *, firm_id: int, allow_analysis: bool = True) -> None:
    """Refuse a query with FilterError before it is saved."""
    FilterCompiler(firm_id=firm_id, as_of=timezone.localdate(),
                   allow_analysis=allow_analysis).check(
        query)


def query_fields(query: Any) -> set[str]:
    """The field names a (checked) query mentions."""
    if isinstance(query, Mapping):
        if "field" in query:
            return {str(query["field"])}
        return set().union(*(query_fields(v) for v in query.values()))
    if isinstance(query, list):
        return set().union(*(query_fields(v) for v in query)) if query else set()
    return set()


GROUP_LABELS = {"all": "all of", "any": "any of"}


def describe(query: Any) -> str:
    """A query in plain words: 'all of (status is open, turnover > 5)'."""
    from workflow.filters.fields import OPERATOR_LABELS

    if not isinstance(query, Mapping):
        return str(query)
    if "not" in query:
        return f"not ({describe(query['not'])})"
    for key, label in GROUP_LABELS.items():
        if key in query:
            inner = ", ".join(describe(child) for child in query[key])
            return f"{label} ({inner})" if inner else "every account"
    value = query.get("value")
    shown = "" if query.get("op") == "is_empty" else " " + (
        ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return f"{query.get('field')} {OPERATOR_LABELS.get(query.get('op', ''), query.get('op'))}" \
        f"{shown}"
