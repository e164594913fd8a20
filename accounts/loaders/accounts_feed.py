"""The accounts feed: upsert households, tax entities, accounts and their ancillary fields.

Audited tables, so rows are written with simple-history's bulk helpers and the file as the
reason. An account missing from a full file is reported as a break, never deleted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model

from accounts.models import Account, CustomField, Household, ReconciliationBreak, TaxEntity
from accounts.services.grants import advisor_grant_households
from accounts.services.reconciliation import breaks_record
from dataops.feeds.batch import FeedBatch
from rebal.audit import bulk_create_audited, bulk_update_audited
from rebal.firm_context import require_firm
from rebal.models import Role

ACCOUNT_FIELDS = ["name", "household_id", "tax_entity_id", "status", "registration",
                  "tax_status", "discretionary", "approved_for_trading", "advisor_email",
                  "program_code", "opened_date", "custom_fields", "source_date"]


def typed_value(field: CustomField, value: str) -> Any:
    """An ancillary value as its firm-defined type; ValueError names what is wrong."""
    if value == "":
        return None
    if field.field_type == CustomField.Type.NUMBER:
        try:
            return str(Decimal(value))
        except InvalidOperation as error:
            raise ValueError(f"x_{field.name} must be a number, got {value!r}") from error
    if field.field_type == CustomField.Type.DATE:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError as error:
            raise ValueError(f"x_{field.name} must be a date YYYY-MM-DD, got {value!r}") from error
    if field.field_type == CustomField.Type.BOOLEAN:
        lowered = value.lower()
        if lowered in {"y", "true", "1"}:
            return True
        if lowered in {"n", "false", "0"}:
            return False
        raise ValueError(f"x_{field.name} must be Y or N, got {value!r}")
    return value


def _ensure_by_code(model: Any, codes: set[str], **defaults: Any) -> dict[str, int]:
    existing = dict(model.objects.filter(code__in=codes).values_list("code", "id"))
    firm = require_firm()
    missing = [model(firm=firm, code=code, **({"name": code} if model is Household else {}))
               for code in sorted(codes - set(existing))]
    if missing:
        bulk_create_audited(model, missing)
        existing.update(model.objects.filter(code__in=[m.code for m in missing])
                        .values_list("code", "id"))
    return existing


def load_accounts(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = batch.good_rows()
    names = sorted({key for row in rows for key in row.ancillary})
    fields = {f.name: f for f in CustomField.objects.filter(name__in=names)}
    new_fields = [CustomField(firm=firm, name=name, label=name.replace("_", " ").title())
                  for name in names if name not in fields]
    if new_fields:
        bulk_create_audited(CustomField, new_fields)
        fields.update({f.name: f for f in CustomField.objects.filter(name__in=names)})
    prepared = []
    for row in rows:
        values = row.values
        try:
            custom = {name: typed_value(fields[name], value)
                      for name, value in row.ancillary.items()}
        except ValueError as error:
            batch.refuse(row.line_number, str(error).split(" ", 1)[0], str(error))
            continue
        prepared.append((row, values, custom))
    households = _ensure_by_code(Household, {
        v.get("household_code") or v["account_number"] for _, v, _ in prepared})
    entities = _ensure_by_code(TaxEntity, {
        v.get("tax_entity") or v.get("household_code") or v["account_number"]
        for _, v, _ in prepared})
    existing = {a.account_number: a for a in Account.objects.filter(
        account_number__in=[v["account_number"] for _, v, _ in prepared])}
    creates, updates = [], []
    for _row, values, custom in prepared:
        household_code = values.get("household_code") or values["account_number"]
        attributes = {
            "name": values["account_name"],
            "household_id": households[household_code],
            "tax_entity_id": entities[values.get("tax_entity") or household_code],
            "status": values["status"],
            "registration": values.get("registration") or Account.Registration.OTHER,
            "tax_status": values["tax_status"],
            "discretionary": _or(values.get("discretionary"), True),
            "approved_for_trading": _or(values.get("approved_for_trading"), True),
            "advisor_email": (values.get("advisor") or "").lower(),
            "program_code": values.get("program") or "",
            "opened_date": values.get("opened_date"),
            "custom_fields": custom,
            "source_date": batch.business_date,
        }
        account = existing.get(values["account_number"])
        if account is None:
            creates.append(Account(firm=firm, account_number=values["account_number"],
                                   **attributes))
        elif any(getattr(account, key) != value for key, value in attributes.items()
                 if key != "source_date"):
            for key, value in attributes.items():
                setattr(account, key, value)
            updates.append(account)
    if creates:
        bulk_create_audited(Account, creates, batch_size=2000)
    if updates:
        bulk_update_audited(Account, updates, ACCOUNT_FIELDS, batch_size=2000)
    batch.rows_loaded = len(prepared)
    _assign_advisors(batch, prepared, households)
    _report_missing(batch, {v["account_number"] for _, v, _ in prepared})


def _or(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _assign_advisors(batch: FeedBatch, prepared: list[Any], households: dict[str, int]) -> None:
    """The advisor named for an account is granted its household, if they are an active
    advisor of the firm (the other roles see every household already); logged with the file."""
    emails = {(v.get("advisor") or "").lower() for _, v, _ in prepared} - {""}
    users = {u.email: u for u in get_user_model().objects.filter(
        email__in=emails, memberships__firm=require_firm(), memberships__is_active=True,
        memberships__roles__contains=[Role.ADVISOR])}
    pairs = {(v.get("household_code") or v["account_number"], (v.get("advisor") or "").lower())
             for _, v, _ in prepared}
    granted = {email: set(Household.assigned_to_ids(user)) for email, user in users.items()}
    household_objects = Household.objects.in_bulk(list(households.values()))
    wanted: dict[Any, list[Household]] = {}
    for code, email in sorted(pairs):
        # Grants already held are skipped: a nightly file re-names every advisor.
        if email in users and households[code] not in granted[email]:
            wanted.setdefault(users[email], []).append(household_objects[households[code]])
    advisor_grant_households(
        grants=wanted, reason=f"named as the advisor in {batch.feed_file.name}")


def _report_missing(batch: FeedBatch, named: set[str]) -> None:
    firm = require_firm()
    missing = Account.objects.exclude(account_number__in=named).exclude(
        status=Account.Status.CLOSED)
    breaks_record(kind=ReconciliationBreak.Kind.MISSING_FROM_ACCOUNTS_FILE, breaks=[
        ReconciliationBreak(firm=firm, account=account, business_date=batch.business_date,
                            kind=ReconciliationBreak.Kind.MISSING_FROM_ACCOUNTS_FILE,
                            reason=f"not in {batch.feed_file.name}; kept, not deleted")
        for account in missing], checked_account_ids=set(
            Account.objects.values_list("pk", flat=True)))
