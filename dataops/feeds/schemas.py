"""One declarative schema per feed (the columns of FEEDS.md), and the checks that need no database.

`check_header` refuses a file lacking a required column; `parse_row` turns one raw row into typed
values or every error it has; `validate_file` applies the rules that need the whole file
(duplicate keys, model weights). `parse_table` runs all three over a FeedTable for a loader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from operator import itemgetter
from typing import Any

from dataops.feeds.fields import (
    FieldError,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_cusip,
    parse_date,
    parse_decimal,
    parse_email,
    parse_isin,
    parse_text,
    parse_ticker,
)
from dataops.feeds.naming import FeedRejected
from dataops.feeds.reading import FeedTable, RowError, collector_paused

SECURITY_TYPES = ("equity", "etf", "mutual_fund", "bond", "cash_equivalent", "other")
REGISTRATIONS = ("individual", "joint", "ira", "roth_ira", "trust", "corporate", "other")
TAX_STATUSES = ("taxable", "tax_deferred", "tax_exempt")
ACCOUNT_STATUSES = ("open", "closed", "suspended", "pending_close")
TRANSACTION_TYPES = ("buy", "sell", "dividend_reinvestment", "deposit", "withdrawal", "dividend",
                     "interest", "fee", "return_of_capital", "transfer_in", "transfer_out")
CORPORATE_ACTION_TYPES = ("split", "reverse_split", "stock_dividend", "spinoff", "stock_merger",
                          "cash_merger", "cash_stock_merger", "ticker_change", "cusip_change",
                          "name_change", "delisting")
TAX_TREATMENTS = ("reorganization", "taxable")
MODEL_WEIGHT_TOLERANCE = Decimal("0.0001")
ANCILLARY_PREFIX = "x_"
SECURITY = "security"  # in a unique key: the row's cusip, or its ticker when it has no cusip

Parser = Callable[[str, str], Any]
RowRule = Callable[[Mapping[str, Any]], Iterable[tuple[str, str]]]
FileRule = Callable[[Sequence["ParsedRow"]], Iterable[RowError]]


@dataclass(frozen=True, slots=True)
class Column:
    """A column a feed reads: `parse` gets (column, stripped non-blank value)."""

    name: str
    parse: Parser
    required: bool = False


@dataclass(frozen=True, slots=True)
class FeedSchema:
    """What one feed reads and checks.

    `identified_by` is the pair of columns at least one of which names the security (cusip,
    ticker); when `identifier_required`, the header holds one of them and every row fills one.
    `unique_key` columns identify a row within a file; `fallbacks` fill a blank column from
    another (tax_entity defaults to household_code); `row_rules` run only on rows whose fields
    all parsed.
    """

    feed: str
    columns: tuple[Column, ...]
    identified_by: tuple[str, str] | None = ("cusip", "ticker")
    identifier_required: bool = True
    keeps_ancillary: bool = False
    unique_key: tuple[str, ...] = ()
    fallbacks: tuple[tuple[str, str], ...] = ()
    row_rules: tuple[RowRule, ...] = ()
    file_rules: tuple[FileRule, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A row whose fields all parsed: `values` has every schema column, None where blank."""

    line_number: int
    values: dict[str, Any]
    ancillary: dict[str, str]  # an accounts row's x_<name> columns as {name: stripped value}

    def __getitem__(self, column: str) -> Any:
        return self.values[column]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A file's rows free of any error, and the errors of the others, in line order."""

    rows: tuple[ParsedRow, ...]
    errors: tuple[RowError, ...]


def _required(name: str, parse: Parser) -> Column:
    return Column(name, parse, required=True)


# Text limits match the columns the loaders write to, so a long value is a row error, not a
# database error that fails the whole file.
_code = partial(parse_text, max_length=50)
_name = partial(parse_text, max_length=200)
_transaction_id = partial(parse_text, max_length=64)
_non_negative = partial(parse_decimal, non_negative=True)
_positive = partial(parse_decimal, positive=True)
_SECURITY_COLUMNS = (Column("cusip", parse_cusip), Column("ticker", parse_ticker))


def _settles_after_trade(values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    settle, trade = values["settle_date"], values["trade_date"]
    if settle is not None and settle < trade:
        yield "settle_date", f"settle_date {settle} is before trade_date {trade}"


def _cancels_another(values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if values["cancels"] == values["transaction_id"]:
        yield "cancels", "a transaction cannot cancel itself"


def _ratio_complete(values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if (values["ratio_from"] is None) != (values["ratio_to"] is None):
        yield "", "ratio_from and ratio_to are given together or not at all"


def _variance_not_negative(values: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if values["factor_1"] == values["factor_2"] and values["covariance"] < 0:
        yield "covariance", f"a factor's variance cannot be negative, got {values['covariance']}"


def _model_weights_sum_to_one(rows: Sequence[ParsedRow]) -> Iterable[RowError]:
    models: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        models[row["model_code"]].append(row)
    for code, members in models.items():
        total = sum((row["weight"] for row in members), Decimal(0))
        if abs(total - 1) > MODEL_WEIGHT_TOLERANCE:
            reason = (f"weights of model {code!r} sum to {total}, not 1 "
                      f"(within {MODEL_WEIGHT_TOLERANCE})")
            yield from (RowError(row.line_number, "weight", reason) for row in members)
        dates = sorted({row["as_of_date"] for row in members})
        if len(dates) > 1:
            reason = (f"model {code!r} has rows for more than one as_of_date: "
                      + ", ".join(str(day) for day in dates))
            yield from (RowError(row.line_number, "as_of_date", reason) for row in members)


def _covariance_symmetric(rows: Sequence[ParsedRow]) -> Iterable[RowError]:
    """Both triangles may be given; where they are, they must agree."""
    by_pair = {(row["as_of_date"], row["factor_1"], row["factor_2"]): row for row in rows}
    for (day, first, second), row in by_pair.items():
        mirror = by_pair.get((day, second, first))
        if mirror is not None and first != second and mirror["covariance"] != row["covariance"]:
            yield RowError(row.line_number, "covariance",
                           f"{row['covariance']} for ({first}, {second}) but {mirror['covariance']}"
                           f" for ({second}, {first}) on line {mirror.line_number}")


SCHEMAS: Mapping[str, FeedSchema] = {schema.feed: schema for schema in (
    FeedSchema("securities", (
        *_SECURITY_COLUMNS, _required("name", _name),
        _required("security_type", partial(parse_choice, choices=SECURITY_TYPES)),
        Column("asset_class", _code), Column("sector", partial(parse_text, max_length=100)),
        Column("currency", parse_currency), Column("isin", parse_isin),
        Column("identical_group", _code),
    ), unique_key=(SECURITY,)),
    FeedSchema("prices", (
        _required("as_of_date", parse_date), *_SECURITY_COLUMNS, _required("close", _positive),
    ), unique_key=("as_of_date", SECURITY)),
    FeedSchema("accounts", (
        _required("account_number", _code), _required("account_name", _name),
        Column("household_code", _code), Column("tax_entity", _code),
        Column("advisor", parse_email),
        Column("registration", partial(parse_choice, choices=REGISTRATIONS)),
        _required("tax_status", partial(parse_choice, choices=TAX_STATUSES)),
        _required("status", partial(parse_choice, choices=ACCOUNT_STATUSES)),
        Column("discretionary", parse_bool), Column("approved_for_trading", parse_bool),
        Column("program", _code), Column("opened_date", parse_date),
    ), identified_by=None, keeps_ancillary=True, unique_key=("account_number",),
        fallbacks=(("tax_entity", "household_code"),)),
    FeedSchema("tax_lots", (
        _required("account_number", _code), *_SECURITY_COLUMNS,
        _required("lot_id", _code), _required("quantity", _non_negative),
        _required("cost_basis", _non_negative), _required("acquired_date", parse_date),
        Column("holding_period_start", parse_date), Column("wash_sale_adjustment", _non_negative),
    ), unique_key=("account_number", "lot_id")),
    FeedSchema("cash", (
        _required("account_number", _code), _required("cash", parse_decimal),
        Column("pending_withdrawal", _non_negative),
    ), identified_by=None, unique_key=("account_number",)),
    FeedSchema("transactions", (
        _required("account_number", _code), _required("transaction_id", _transaction_id),
        _required("trade_date", parse_date), Column("settle_date", parse_date),
        _required("type", partial(parse_choice, choices=TRANSACTION_TYPES)),
        *_SECURITY_COLUMNS, Column("quantity", parse_decimal), Column("price", _non_negative),
        Column("amount", parse_decimal), Column("lot_id", _code),
        Column("realized_gain", parse_decimal), Column("cancels", _transaction_id),
    ), identifier_required=False, unique_key=("transaction_id",),
        row_rules=(_settles_after_trade, _cancels_another)),
    FeedSchema("corporate_actions", (
        _required("action_id", _code),
        _required("type", partial(parse_choice, choices=CORPORATE_ACTION_TYPES)),
        _required("effective_date", parse_date), Column("pay_date", parse_date),
        Column("tax_treatment", partial(parse_choice, choices=TAX_TREATMENTS)),
        Column("old_cusip", parse_cusip), Column("old_ticker", parse_ticker),
        Column("new_cusip", parse_cusip), Column("new_ticker", parse_ticker),
        Column("new_name", _name), Column("ratio_from", _positive),
        Column("ratio_to", _positive), Column("cash_per_share", _non_negative),
        Column("basis_allocation_pct",
               partial(parse_decimal, non_negative=True, maximum=Decimal(100))),
        Column("cash_in_lieu", parse_bool), Column("cash_in_lieu_price", _positive),
        Column("description", parse_text),
    ), identified_by=("old_cusip", "old_ticker"), unique_key=("action_id",),
        row_rules=(_ratio_complete,)),
    FeedSchema("restrictions", (
        _required("list_code", _code), Column("list_name", _name),
        *_SECURITY_COLUMNS, Column("reason", partial(parse_text, max_length=500)),
    ), unique_key=("list_code", SECURITY)),
    FeedSchema("risk_exposures", (
        _required("as_of_date", parse_date), *_SECURITY_COLUMNS,
        _required("factor", _code), _required("exposure", parse_decimal),
    ), unique_key=("as_of_date", SECURITY, "factor")),
    FeedSchema("risk_covariance", (
        _required("as_of_date", parse_date), _required("factor_1", _code),
        _required("factor_2", _code), _required("covariance", parse_decimal),
    ), identified_by=None, unique_key=("as_of_date", "factor_1", "factor_2"),
        row_rules=(_variance_not_negative,), file_rules=(_covariance_symmetric,)),
    FeedSchema("risk_specific", (
        _required("as_of_date", parse_date), *_SECURITY_COLUMNS,
        _required("specific_variance", _non_negative),
    ), unique_key=("as_of_date", SECURITY)),
    FeedSchema("models", (
        _required("model_code", _code), Column("model_name", _name),
        Column("provider_code", _code), _required("as_of_date", parse_date),
        *_SECURITY_COLUMNS, _required("weight", _non_negative),
    ), unique_key=("model_code", SECURITY), file_rules=(_model_weights_sum_to_one,)),
)}


# parse_row's loop, flattened once: it runs for every field of every row.
_PLANS = {feed: tuple((column.name, column.parse, column.required) for column in schema.columns)
          for feed, schema in SCHEMAS.items()}


def schema_for(feed: str) -> FeedSchema:
    try:
        return SCHEMAS[feed]
    except KeyError:
        raise FeedRejected(f"unknown feed {feed!r}") from None


def check_header(feed: str, header: Sequence[str]) -> tuple[str, ...]:
    """The header's columns this feed ignores; FeedRejected naming any required column missing."""
    schema = schema_for(feed)
    present = set(header)
    missing = [column.name for column in schema.columns
               if column.required and column.name not in present]
    if schema.identified_by and schema.identifier_required and not present & set(
            schema.identified_by):
        missing.append(" or ".join(schema.identified_by))
    if missing:
        raise FeedRejected(f"missing required column(s): {', '.join(missing)}")
    known = {column.name for column in schema.columns}
    return tuple(name for name in header if name not in known
                 and not (schema.keeps_ancillary and name.startswith(ANCILLARY_PREFIX)))


def parse_row(feed: str, line_number: int, raw: Mapping[str, str]) -> ParsedRow | list[RowError]:
    """The typed row, or every error it has: each bad field, then the row's own rules."""
    schema = schema_for(feed)
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for name, parse, required in _PLANS[feed]:
        text = raw.get(name, "").strip()
        if not text:
            values[name] = None
            if required:
                errors.append(RowError(line_number, name, "required value is blank"))
            continue
        try:
            values[name] = parse(name, text)
        except FieldError as error:
            values[name] = None
            errors.append(RowError(line_number, error.column, error.reason))
    if schema.identified_by and schema.identifier_required:
        first, second = schema.identified_by
        # None is blank or unparseable; only blank is this error, a bad value has its own.
        if values[first] is None and values[second] is None and not (
                raw.get(first, "").strip() or raw.get(second, "").strip()):
            errors.append(RowError(line_number, "",
                                   f"{first} or {second} is required; both are blank"))
    if errors:
        return errors
    for column_name, source in schema.fallbacks:
        if values[column_name] is None:
            values[column_name] = values[source]
    for rule in schema.row_rules:
        errors.extend(RowError(line_number, column, reason) for column, reason in rule(values))
    if errors:
        return errors
    ancillary = ({name.removeprefix(ANCILLARY_PREFIX): value.strip() for name, value in raw.items()
                  if name.startswith(ANCILLARY_PREFIX) and name != ANCILLARY_PREFIX}
                 if schema.keeps_ancillary else {})
    return ParsedRow(line_number=line_number, values=values, ancillary=ancillary)


def _key_part(row: ParsedRow, part: str, identified_by: tuple[str, str] | None) -> tuple[str, Any]:
    if part == SECURITY and identified_by is not None:
        cusip_column, ticker_column = identified_by
        # CUSIP is preferred, as in matching; a row with only a ticker is compared by ticker.
        column = cusip_column if row[cusip_column] is not None else ticker_column
        return column, row[column]
    return part, row[part]


def _shown_key_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else repr(value)


def _key_function(schema: FeedSchema) -> Callable[[ParsedRow], Hashable]:
    if SECURITY not in schema.unique_key:
        values_of = itemgetter(*schema.unique_key)  # the common, large case: tax_lots
        return lambda row: values_of(row.values)
    return lambda row: tuple(_key_part(row, part, schema.identified_by)
                             for part in schema.unique_key)


def _duplicate_keys(schema: FeedSchema, rows: Sequence[ParsedRow]) -> Iterable[RowError]:
    key_of = _key_function(schema)
    first: dict[Hashable, ParsedRow] = {}
    repeated: dict[Hashable, list[ParsedRow]] = {}  # only the keys seen twice get a list
    for row in rows:
        key = key_of(row)
        earlier = first.setdefault(key, row)
        if earlier is not row:
            repeated.setdefault(key, [earlier]).append(row)
    for group in repeated.values():
        named = [_key_part(group[0], part, schema.identified_by) for part in schema.unique_key]
        (column, value), context = named[-1], named[:-1]
        reason = f"duplicate {column} {_shown_key_value(value)}"
        if context:
            reason += " for " + ", ".join(f"{name} {_shown_key_value(part)}"
                                          for name, part in context)
        lines = [row.line_number for row in group]
        reason += f" (lines {', '.join(map(str, lines))})"
        yield from (RowError(line, column, reason) for line in lines)


def validate_file(feed: str, rows: Sequence[ParsedRow]) -> list[RowError]:
    """Errors only the whole file shows: duplicate keys (every copy is an error, since which one
    is right cannot be known) and the feed's file rules (model weights summing to 1)."""
    schema = schema_for(feed)
    errors = list(_duplicate_keys(schema, rows)) if schema.unique_key else []
    for rule in schema.file_rules:
        errors.extend(rule(rows))
    return sorted(errors, key=lambda error: error.line_number)


def parse_table(feed: str, table: FeedTable) -> ParsedFeed:
    """Every row of a read file parsed and validated; a row with any error is left out of rows.

    Raises FeedRejected when the header lacks a required column.
    """
    check_header(feed, table.header)
    parsed: list[ParsedRow] = []
    errors = list(table.row_errors)
    with collector_paused():
        for line, raw in table.rows:
            outcome = parse_row(feed, line, raw)
            if isinstance(outcome, ParsedRow):
                parsed.append(outcome)
            else:
                errors.extend(outcome)
        file_errors = validate_file(feed, parsed)
    bad_lines = {error.line_number for error in file_errors}
    rows = tuple(row for row in parsed if row.line_number not in bad_lines)
    errors.extend(file_errors)
    return ParsedFeed(rows=rows, errors=tuple(sorted(errors, key=lambda error: error.line_number)))
