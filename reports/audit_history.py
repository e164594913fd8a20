"""The audit history of every audited model of the firm in one list: who (user, API token or
system job), when (UTC), what (before and after, against the object's previous version) and why.

Read straight from the simple-history tables with an explicit firm predicate (row-level security
applies as well), a page at a time: each table's branch is ordered on its history_date index and
limited before the UNION ALL, so a page costs the same however long the firm's history is. A
field filter compares each version with the object's previous one (an index lookup per version)
over at most SCAN_LIMIT of the newest matching versions. Diffs are computed for the page only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection
from psycopg2 import sql
from simple_history.models import HistoricalChanges

from accounts.models import Account
from rebal.models import APIToken, User

PER_PAGE = 50
MAX_PAGE = 200  # deeper than 10,000 entries: narrow the dates instead
SCAN_LIMIT = 20_000  # versions compared with their predecessor for one field filter
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class AuditedType:
    """An audited, firm-owned model and its history table."""

    key: str  # the model's label, e.g. "accounts.accountsettings"
    label: str
    history_model: Any
    fields: dict[str, str]  # tracked field name -> its column in the history table
    user_fields: frozenset[str]  # those naming a person (approved by, …), shown by e-mail

    @property
    def table(self) -> str:
        return str(self.history_model._meta.db_table)


@cache
def audited_types() -> dict[str, AuditedType]:
    """Every audited model whose history rows carry the firm, by key, in label order."""
    found = []
    for history_model in apps.get_models():
        if not issubclass(history_model, HistoricalChanges):
            continue
        names = {f.name for f in history_model._meta.get_fields()}
        if "firm" not in names:
            continue  # platform-wide (firms, users, reference data): no firm's own history
        model = history_model.instance_type
        fields = {f.name: history_model._meta.get_field(f.name).column
                  for f in history_model.tracked_fields
                  if f.editable and f.name not in ("firm", "id")}
        people = frozenset(name for name in fields
                           if getattr(model._meta.get_field(name), "related_model", None) is User)
        found.append(AuditedType(key=model._meta.label_lower,
                                 label=str(model._meta.verbose_name).capitalize(),
                                 history_model=history_model, fields=fields,
                                 user_fields=people))
    return {t.key: t for t in sorted(found, key=lambda t: t.label)}


@dataclass(frozen=True)
class AuditQuery:
    """What the reader asks for; `field` needs `model`."""

    model: str = ""
    object_id: int | None = None
    user_id: int | None = None
    start: dt.date | None = None  # UTC dates, both included
    end: dt.date | None = None
    field: str = ""
    oldest_first: bool = False


@dataclass
class FieldChange:
    name: str
    label: str
    before: Any
    after: Any

    @property
    def before_text(self) -> str:
        return shown(self.before)

    @property
    def after_text(self) -> str:
        return shown(self.after)


def shown(value: Any) -> str:
    """A stored value as a reader expects it: numbers without trailing zeros or exponents,
    lists and dictionaries as JSON, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


@dataclass
class AuditEntry:
    """One history row as the reader sees it."""

    type: AuditedType
    history_id: int
    object_id: int
    when: dt.datetime
    action: str
    who: str = ""  # an e-mail, "API token <name>" or the system job
    who_kind: str = ""  # user, token, job
    who_id: int | None = None
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    account_id: int | None = None
    account: Any = None
    batch_id: int | None = None
    record_id: int | None = None


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    number: int
    has_next: bool
    scan_limited: bool = False  # the field filter stopped at SCAN_LIMIT versions

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _conditions(query: AuditQuery, firm_id: int, alias: str = "h"
                ) -> tuple[list[sql.Composable], list[Any]]:
    where: list[sql.Composable] = [sql.SQL("{}.firm_id = %s").format(sql.Identifier(alias))]
    params: list[Any] = [firm_id]
    column = sql.Identifier(alias)
    if query.object_id is not None:
        where.append(sql.SQL("{}.id = %s").format(column))
        params.append(query.object_id)
    if query.user_id is not None:
        where.append(sql.SQL("{}.history_user_id = %s").format(column))
        params.append(query.user_id)
    if query.start:
        where.append(sql.SQL("{}.history_date >= %s").format(column))
        params.append(dt.datetime.combine(query.start, dt.time(), tzinfo=dt.UTC))
    if query.end:
        where.append(sql.SQL("{}.history_date < %s").format(column))
        params.append(dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(),
                                          tzinfo=dt.UTC))
    return where, params


def _direction(query: AuditQuery) -> sql.SQL:
    return sql.SQL("ASC" if query.oldest_first else "DESC")


def _branch(kind: AuditedType, query: AuditQuery, firm_id: int,
            limit: int) -> tuple[sql.Composable, list[Any]]:
    where, params = _conditions(query, firm_id)
    order = _direction(query)
    statement = sql.SQL(
        "(SELECT %s AS model_key, h.history_id, h.id AS object_id, h.history_date "
        "FROM {table} h WHERE {where} "
        "ORDER BY h.history_date {order}, h.history_id {order} LIMIT %s)"
    ).format(table=sql.Identifier(kind.table), where=sql.SQL(" AND ").join(where), order=order)
    return statement, [kind.key, *params, limit]


def _field_branch(kind: AuditedType, query: AuditQuery, firm_id: int,
                  limit: int) -> tuple[sql.Composable, list[Any]]:
    """The changes (among the SCAN_LIMIT newest matching versions) in which `query.field`
    differs from the object's previous version; creations and deletions are not edits."""
    where, params = _conditions(query, firm_id)
    order = _direction(query)
    column = sql.Identifier(kind.fields[query.field])
    table = sql.Identifier(kind.table)
    statement = sql.SQL(
        "WITH scanned AS (SELECT h.history_id, h.id, h.history_date, h.history_type, "
        "h.{column} AS value FROM {table} h WHERE {where} "
        "ORDER BY h.history_date {order}, h.history_id {order} LIMIT %s) "
        "SELECT %s AS model_key, s.history_id, s.id AS object_id, s.history_date, "
        "(SELECT count(*) FROM scanned) AS scanned "
        "FROM scanned s {previous} "
        "WHERE s.history_type = '~' AND s.value IS DISTINCT FROM prev.value "
        "ORDER BY s.history_date {order}, s.history_id {order} LIMIT %s"
    ).format(column=column, table=table, where=sql.SQL(" AND ").join(where), order=order,
             previous=PREVIOUS_VERSION.format(table=table, alias=sql.Identifier("s"),
                                              column=column))
    return statement, [*params, SCAN_LIMIT, kind.key, firm_id, limit]


def audit_page(*, firm_id: int, query: AuditQuery, page: int = 1,
               per_page: int = PER_PAGE) -> AuditPage:
    """One page of the firm's audit history, newest first unless asked otherwise."""
    types = audited_types()
    page = min(max(page, 1), MAX_PAGE)
    offset = (page - 1) * per_page
    wanted = offset + per_page + 1  # one more than the page tells whether another follows
    chosen = [types[query.model]] if query.model in types else list(types.values())
    scan_limited = False
    if query.field and len(chosen) == 1 and query.field in chosen[0].fields:
        statement, params = _field_branch(chosen[0], query, firm_id, wanted)
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        scan_limited = bool(rows) and rows[0][4] >= SCAN_LIMIT
        rows = [row[:4] for row in rows[offset:]]
    else:
        branches = [_branch(kind, query, firm_id, wanted) for kind in chosen]
        order = _direction(query)
        statement = sql.SQL(
            "SELECT * FROM ({branches}) AS entries "
            "ORDER BY history_date {order}, model_key, history_id {order} LIMIT %s OFFSET %s"
        ).format(branches=sql.SQL(" UNION ALL ").join(b[0] for b in branches), order=order)
        params = [p for b in branches for p in b[1]] + [per_page + 1, offset]
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
    entries = [AuditEntry(type=types[key], history_id=history_id, object_id=object_id,
                          when=when, action="")
               for key, history_id, object_id, when in rows[:per_page]]
    _describe(entries, firm_id)
    return AuditPage(entries=entries, number=page, has_next=len(rows) > per_page,
                     scan_limited=scan_limited)


def _describe(entries: list[AuditEntry], firm_id: int) -> None:
    """Who, why, what and what it is about, for a page: per model on the page one query
    (its rows and their previous versions), then one each for users, tokens and accounts."""
    by_type: dict[str, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        by_type[entry.type.key].append(entry)
    for group in by_type.values():
        _describe_type(group, firm_id)
    named = [c for e in entries for c in e.changes if c.name in e.type.user_fields]
    users = dict(User.objects.filter(
        pk__in={e.who_id for e in entries if e.who_kind == "user"}
        | {v for c in named for v in (c.before, c.after) if v is not None})
        .values_list("pk", "email"))
    for change in named:
        change.before, change.after = (users.get(v, v) if v is not None else None
                                       for v in (change.before, change.after))
    token_names = dict(APIToken.objects.unscoped().filter(
        firm_id=firm_id, pk__in={e.who_id for e in entries if e.who_kind == "token"})
        .values_list("pk", "name"))
    accounts = Account.objects.unscoped().filter(firm_id=firm_id).in_bulk(
        {e.account_id for e in entries if e.account_id is not None})
    for entry in entries:
        if entry.who_kind == "user":
            entry.who = users.get(entry.who_id, f"user {entry.who_id}")
        elif entry.who_kind == "token":
            entry.who = f"API token {token_names.get(entry.who_id, entry.who_id)}"
        entry.account = accounts.get(entry.account_id) if entry.account_id else None


# The version just before each one, found through the index on the object's id: ordering by a
# row value keeps the planner off a backward walk of the history_date index, which a LIMIT 1
# would otherwise tempt it into on a large table.
PREVIOUS_VERSION = sql.SQL(
    "LEFT JOIN LATERAL (SELECT p.history_id, p.{column} AS value FROM {table} p "
    "WHERE p.firm_id = %s AND p.id = {alias}.id "
    "AND (p.history_date, p.history_id) < ({alias}.history_date, {alias}.history_id) "
    "ORDER BY ROW(p.history_date, p.history_id) DESC LIMIT 1) prev ON TRUE")


def _versions_with_previous(kind: AuditedType, history_ids: list[int],
                            firm_id: int) -> tuple[dict[int, Any], dict[int, Any]]:
    """The page's versions of one model, and each one's predecessor (the same object's version
    just before it), both by history id: one query, each row tagged with the page's version it
    was read for."""
    table = sql.Identifier(kind.table)
    statement = sql.SQL(
        "WITH page AS (SELECT h.history_id AS page_id, prev.history_id AS previous_id "
        "FROM {table} h {previous} WHERE h.firm_id = %s AND h.history_id = ANY(%s)) "
        "SELECT t.*, page.page_id AS audit_page_id FROM {table} t "
        "JOIN page ON t.history_id IN (page.page_id, page.previous_id) WHERE t.firm_id = %s"
    ).format(table=table, previous=PREVIOUS_VERSION.format(
        table=table, alias=sql.Identifier("h"), column=sql.Identifier("history_id")))
    connection.ensure_connection()
    versions: dict[int, Any] = {}
    previous: dict[int, Any] = {}
    for row in kind.history_model.objects.raw(
            statement.as_string(connection.connection), [firm_id, firm_id, history_ids, firm_id]):
        if row.history_id == row.audit_page_id:
            versions[row.history_id] = row
        else:
            previous[row.audit_page_id] = row
    return versions, previous


def _describe_type(entries: list[AuditEntry], firm_id: int) -> None:
    kind = entries[0].type
    history_model = kind.history_model
    versions, previous = _versions_with_previous(kind, [e.history_id for e in entries],
                                                 firm_id)
    labels = {f.name: str(f.verbose_name) for f in history_model.tracked_fields}
    for entry in entries:
        version = versions[entry.history_id]
        entry.action = ACTIONS.get(version.history_type, version.history_type)
        entry.reason = version.history_change_reason or ""
        if version.history_user_id:
            entry.who_id, entry.who_kind = version.history_user_id, "user"
        elif version.history_api_token_id:
            entry.who_id, entry.who_kind = version.history_api_token_id, "token"
        else:
            entry.who, entry.who_kind = version.history_system_job or "unknown", "job"
        entry.changes = _changes(kind, version, previous.get(entry.history_id), labels)
        _link(entry, kind, version)


def _changes(kind: AuditedType, version: Any, before: Any,
             labels: dict[str, str]) -> list[FieldChange]:
    """The fields that differ from the previous version (for a creation, every value set);
    a settings dictionary is shown key by key."""
    if version.history_type == "-":
        return []
    if before is None:  # a creation (or the first version kept)
        pairs = [(name, None, getattr(version, column)) for name, column in kind.fields.items()]
    else:
        delta = version.diff_against(before, included_fields=list(kind.fields))
        pairs = [(change.field, change.old, change.new) for change in delta.changes]
    changes = []
    for name, old, new in pairs:
        label = labels.get(name, name)
        if isinstance(new, dict) and isinstance(old, dict | None):
            old = old or {}
            changes.extend(FieldChange(name, f"{label}: {key.replace('_', ' ')}",
                                       old.get(key), new.get(key))
                           for key in sorted(set(old) | set(new))
                           if old.get(key) != new.get(key))
        elif before is not None or new not in (None, "", [], {}):
            changes.append(FieldChange(name, label, old, new))
    return changes


def _link(entry: AuditEntry, kind: AuditedType, version: Any) -> None:
    """What the entry is about, for links: its account, batch and the record behind a trade."""
    if kind.key == "accounts.account":
        entry.account_id = entry.object_id
    elif getattr(version, "account_id", None):
        entry.account_id = version.account_id
    if kind.key == "workflow.tradebatch":
        entry.batch_id = entry.object_id
    elif getattr(version, "batch_id", None):
        entry.batch_id = version.batch_id
    if getattr(version, "analysis_id", None):
        entry.record_id = version.analysis_id


def field_choices(model_key: str) -> list[tuple[str, str]]:
    kind = audited_types().get(model_key)
    if kind is None:
        return []
    labels = {f.name: str(f.verbose_name) for f in kind.history_model.tracked_fields}
    return sorted(((name, labels.get(name, name)) for name in kind.fields),
                  key=lambda choice: choice[1])


def model_choices() -> list[tuple[str, str]]:
    return [(key, kind.label) for key, kind in audited_types().items()]
