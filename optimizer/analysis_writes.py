"""Analyses and their proposed trades written in bulk: COPY into temporary tables, then one
INSERT … SELECT per table (PostgreSQL refuses COPY into a table under row-level security; the
INSERT is still checked by its policy). Analysis is not audited: it is written by a system job
and never edited, a later run is a new row. Each analysis carries its record (what it used,
`optimizer.records`), the chunk's settings and target contents stored first.

JSON columns hold what `DjangoJSONEncoder` would write for the core's dataclasses (Decimal as a
string, dates in ISO form, enums as their value), without `dataclasses.asdict`'s deep copies.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from psycopg2 import sql

from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.records import RecordInputs, record_fields
from optimizer.tax_naive import NaiveShadow
from rebal.models import Firm

CENT = Decimal("0.01")

ANALYSIS_COLUMNS = ("firm_id", "account_id", "trade_date", "status", "summary", "before",
                    "after", "trade_metrics", "relaxations", "notes", "calibration", "solver",
                    "naive_short_term_gain", "naive_long_term_gain", "naive_estimated_tax",
                    "naive_turnover", "settings_content_id", "target_content_id", "lot_set_id",
                    "cash_balance_id", "sources", "data_content_id")
ANALYSIS_TYPES = ("bigint", "bigint", "date", "varchar(20)", "text", "jsonb", "jsonb", "jsonb",
                  "jsonb", "jsonb", "jsonb", "jsonb", "numeric", "numeric", "numeric",
                  "double precision", "bigint", "bigint", "bigint", "bigint", "jsonb", "bigint")
ANALYSIS_NULLABLE = ("naive_short_term_gain", "naive_long_term_gain", "naive_estimated_tax",
                     "naive_turnover", "settings_content_id", "target_content_id", "lot_set_id",
                     "cash_balance_id", "data_content_id")
TRADE_COLUMNS = ("firm_id", "analysis_id", "security_id", "side", "shares", "price", "value",
                 "lots", "realized_gain", "estimated_tax", "cost_benefit_score", "reasons",
                 "explanation")
TRADE_TYPES = ("bigint", "bigint", "bigint", "varchar(4)", "numeric", "numeric", "numeric",
               "jsonb", "numeric", "numeric", "double precision", "jsonb", "text")
TRADE_NULLABLE = ("cost_benefit_score",)


@dataclass(frozen=True)
class AnalysisToWrite:
    """One account's analysis as the chunk hands it over."""

    account_id: int
    result: CoreAnalysis
    notes: tuple[str, ...] = ()
    naive: NaiveShadow | None = None
    record: RecordInputs | None = None  # None: stored without a record (inputs built elsewhere)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, separators=(",", ":"))


def _copy(table: str, columns: Sequence[str], types: Sequence[str], nullable: Sequence[str],
          rows: list[list[Any]], returning: str = "") -> list[tuple[Any, ...]]:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    stage = f"{table}_stage"
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
            sql.Identifier(stage), sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                for c, t in zip(columns, types, strict=True))))
        # Every field is quoted, so an empty text stays empty; the nullable columns read an
        # empty field as NULL.
        cursor.cursor.copy_expert(sql.SQL(
            "COPY {} ({}) FROM STDIN WITH (FORMAT csv, FORCE_NULL ({}))").format(
            sql.Identifier(stage), names, sql.SQL(", ").join(map(sql.Identifier, nullable))),
            buffer)
        statement = sql.SQL("INSERT INTO {table} ({names}, created_at) "
                            "SELECT {names}, now() FROM {stage}" if table == "optimizer_analysis"
                            else "INSERT INTO {table} ({names}) SELECT {names} FROM {stage}")
        statement = statement.format(table=sql.Identifier(table), names=names,
                                     stage=sql.Identifier(stage))
        if returning:
            statement = sql.SQL("{} RETURNING {}").format(statement, sql.SQL(returning))
        cursor.execute(statement)
        found = cursor.fetchall() if returning else []
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(stage)))
    return found


def _reason(reason: Any) -> Any:
    return reason if not (is_dataclass(reason) and not isinstance(reason, type)) else {
        f.name: getattr(reason, f.name) for f in fields(reason)}


def _none(value: Any) -> Any:
    return "" if value is None else value


def analyses_write(*, firm: Firm, analyses: Sequence[AnalysisToWrite]) -> dict[int, int]:
    """Store the analyses with their trades; returns account id → analysis id. An account
    appears at most once (a chunk analyzes each account once)."""
    if not analyses:
        return {}
    with_record = [item for item in analyses if item.record is not None]
    records = dict(zip((item.account_id for item in with_record), record_fields(
        firm=firm, items=[item.record for item in with_record if item.record is not None]),
        strict=True))
    rows = []
    for item in analyses:
        result, naive = item.result, item.naive
        record = records.get(item.account_id)
        rows.append([
            firm.pk, item.account_id, result.trade_date.isoformat(), str(result.status),
            result.summary, _json(result.before), _json(result.after),
            _json(result.trade_metrics), _json(result.relaxations),
            _json([*item.notes, *result.notes]), _json(result.calibration),
            _json(result.solver),
            *(["", "", "", ""] if naive is None else [
                naive.short_term_gain, naive.long_term_gain, naive.estimated_tax,
                repr(naive.turnover)]),
            *(["", "", "", "", "{}", ""] if record is None else [
                record.settings_content_id, record.target_content_id,
                _none(record.lot_set_id), _none(record.cash_balance_id),
                _json(record.sources), record.data_content_id])])
    ids = dict((account_id, pk) for pk, account_id in _copy(
        "optimizer_analysis", ANALYSIS_COLUMNS, ANALYSIS_TYPES, ANALYSIS_NULLABLE, rows,
        returning="id, account_id"))
    trades = [
        [firm.pk, ids[item.account_id], int(trade.security), str(trade.side), trade.shares,
         trade.price, trade.value.quantize(CENT), _json(trade.lots),
         trade.realized_gain.quantize(CENT), trade.estimated_tax.quantize(CENT),
         _none(repr(trade.cost_benefit_score) if trade.cost_benefit_score is not None
               else None),
         _json([_reason(r) for r in trade.reasons]), trade.explanation]
        for item in analyses for trade in item.result.trades]
    if trades:
        _copy("optimizer_proposedtrade", TRADE_COLUMNS, TRADE_TYPES, TRADE_NULLABLE, trades)
    return ids
