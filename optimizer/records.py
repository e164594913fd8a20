"""The record of an analysis: what it used, written with it (both the nightly chunk and a single
analysis come through here).

Settings, targets and the market data (prices' and risk model's dates and feed files with their
checksums, solver versions) go in once per distinct content per firm — an `INSERT … ON CONFLICT DO
NOTHING` of a chunk's distinct hashes, then one read of their ids — so a book of mostly alike
accounts adds a few rows a night, not one per account. Lot set, cash balance, prices and risk
model are referenced (foreign keys, dates, feed files with their checksums), never copied. The
wash-sale windows and open orders the optimizer respected are small and depend on the order the
night solved the accounts in, so they are kept as they were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.db import connection
from psycopg2 import sql

from accounts.models import CashBalance, LotSet
from dataops.models import FeedFile, RiskCovariance, RiskExposure, RiskSpecific
from optimizer.core.inputs import OpenOrder, WashWindow
from optimizer.records_provenance import InputsProvenance
from rebal.models import Firm


@dataclass(frozen=True)
class RecordInputs:
    """One analysis's inputs as the record needs them."""

    provenance: InputsProvenance
    wash_windows: Sequence[WashWindow] = ()
    open_orders: Sequence[OpenOrder] = ()


@dataclass(frozen=True)
class RecordFields:
    """The record columns of one analysis row."""

    settings_content_id: int
    target_content_id: int
    data_content_id: int
    lot_set_id: int | None
    cash_balance_id: int | None
    sources: dict[str, Any]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if hasattr(value, "items"):
        return dict(value.items())
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def canonical_json(value: Any) -> str:
    """The JSON the content hashes are taken over (sorted keys, no spaces)."""
    return json.dumps(value, default=_plain, sort_keys=True, separators=(",", ":"))


def plain_json(value: Any) -> Any:
    """`value` (dataclasses, dates, decimals…) as plain JSON data."""
    return json.loads(canonical_json(value))


@cache
def solver_versions() -> dict[str, str]:
    """The versions of the solvers and numerics the optimizer ran on (the record's `software`;
    which solver ran and its status are in the analysis's `solver`)."""
    found = {}
    for package in ("osqp", "clarabel", "numpy", "scipy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def _contents(table: str, firm: Firm, contents: dict[str, str]) -> dict[str, int]:
    """Insert the contents not stored yet (hash → canonical JSON); every hash's id."""
    if not contents:
        return {}
    hashes, texts = list(contents), list(contents.values())
    name = sql.Identifier(table)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "INSERT INTO {} (firm_id, sha256, content, created_at) "
            "SELECT %s, h, c::jsonb, now() FROM unnest(%s::text[], %s::text[]) AS t(h, c) "
            "ON CONFLICT (firm_id, sha256) DO NOTHING").format(name), [firm.pk, hashes, texts])
        cursor.execute(sql.SQL("SELECT sha256, id FROM {} WHERE firm_id = %s "
                               "AND sha256 = ANY(%s)").format(name), [firm.pk, hashes])
        return dict(cursor.fetchall())


def _risk_files(days: Iterable[date]) -> dict[date, list[int]]:
    found: dict[date, set[int]] = {day: set() for day in days}
    for model in (RiskCovariance, RiskExposure, RiskSpecific):
        for day, file_id in (model.objects.filter(as_of_date__in=list(found),
                                                  feed_file__isnull=False)
                             .values_list("as_of_date", "feed_file_id").distinct()):
            found[day].add(file_id)
    return {day: sorted(ids) for day, ids in found.items()}


def record_fields(*, firm: Firm, items: Sequence[RecordInputs]) -> list[RecordFields]:
    """The record columns of each analysis, in order; stores the contents not stored yet."""
    if not items:
        return []
    settings_texts: dict[str, str] = {}
    target_texts: dict[str, str] = {}
    for item in items:
        settings, target = item.provenance.settings, item.provenance.target
        settings_hash, target_hash = settings.content_hash(), target.content_hash()
        if settings_hash not in settings_texts:
            settings_texts[settings_hash] = canonical_json(settings.as_record())
        if target_hash not in target_texts:
            target_texts[target_hash] = canonical_json(target.as_record())
    settings_ids = _contents("optimizer_settingscontent", firm, settings_texts)
    target_ids = _contents("optimizer_targetcontent", firm, target_texts)

    lot_sets = {pk: (day, file_id) for pk, day, file_id in LotSet.objects.filter(
        pk__in={i.provenance.lot_set_id for i in items if i.provenance.lot_set_id})
        .values_list("pk", "business_date", "feed_file_id")}
    balances = {pk: (day, file_id, cash) for pk, day, file_id, cash in CashBalance.objects.filter(
        pk__in={i.provenance.cash_balance_id for i in items if i.provenance.cash_balance_id})
        .values_list("pk", "business_date", "feed_file_id", "cash")}
    risk_files = _risk_files({i.provenance.risk_model_as_of for i in items})
    file_ids = ({file_id for _, file_id in lot_sets.values()}
                | {file_id for _, file_id, _ in balances.values()}
                | {f for i in items for f in i.provenance.price_files}
                | {f for ids in risk_files.values() for f in ids})
    # Id and checksum only: the file's name, feed and date are on its FeedFile row, kept.
    files = dict(FeedFile.objects.filter(pk__in=file_ids).values_list("pk", "checksum"))

    shared: list[dict[str, Any]] = []
    own: list[dict[str, Any]] = []
    for item in items:
        p = item.provenance
        lot_set, balance = lot_sets.get(p.lot_set_id or 0), balances.get(p.cash_balance_id or 0)
        market = set(p.price_files) | set(risk_files[p.risk_model_as_of])
        shared.append(plain_json({
            # Each security's latest close on or before the trade date.
            "prices": {"through": p.prices_through, "files": sorted(p.price_files)},
            "risk_model": {"as_of": p.risk_model_as_of,
                           "files": risk_files[p.risk_model_as_of]},
            "files": {str(f): files[f] for f in sorted(market) if f in files},
            "software": solver_versions(),
        }))
        account_files = {f for f in (lot_set[1] if lot_set else None,
                                     balance[1] if balance else None) if f is not None}
        own.append(plain_json({
            "path": p.path,
            "lot_set": ({"id": p.lot_set_id, "business_date": lot_set[0], "file": lot_set[1]}
                        if lot_set else None),
            "entity_lots": p.entity_lots,
            "cash": ({"id": p.cash_balance_id, "business_date": balance[0], "file": balance[1],
                      "amount": balance[2]} if balance else None),
            "files": {str(f): files[f] for f in sorted(account_files) if f in files},
            "wash_windows": list(item.wash_windows),
            "open_orders": list(item.open_orders),
        }))
    texts = {_sha256(text): text for text in map(canonical_json, shared)}
    data_ids = _contents("optimizer_datacontent", firm, texts)
    return [RecordFields(
        settings_content_id=settings_ids[item.provenance.settings.content_hash()],
        target_content_id=target_ids[item.provenance.target.content_hash()],
        data_content_id=data_ids[_sha256(canonical_json(market))],
        lot_set_id=item.provenance.lot_set_id if sources["lot_set"] else None,
        cash_balance_id=item.provenance.cash_balance_id if sources["cash"] else None,
        sources=sources) for item, market, sources in zip(items, shared, own, strict=True)]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
