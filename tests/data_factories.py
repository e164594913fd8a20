"""Data-operations rows for tests, written directly (no feed loading): a feed file with its
quarantined rows, an unknown security with its placeholder, lots, cash and holds.

Call inside `firm_context(firm)` and `audit_context(system_job="tests")`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import AccountHold, CashBalance, LotSet, ReconciliationBreak, TaxLot
from dataops.feeds.naming import parse_feed_filename
from dataops.models import (
    CorporateAction,
    FeedFile,
    QuarantinedRow,
    Security,
    SecurityIdentifier,
    UnknownSecurity,
)


def feed_file(*, name: str, status: str = FeedFile.Status.LOADED, rows_read: int = 0,
              rows_loaded: int = 0, rows_quarantined: int = 0, error: str = "",
              delivered_by: str = "custodian", door: str = FeedFile.Door.INBOX,
              received_at: Any = None) -> FeedFile:
    parsed = parse_feed_filename(name)
    started = timezone.now() - timedelta(seconds=3)
    made = FeedFile.objects.create(
        name=name, feed=parsed.feed, business_date=parsed.business_date, seq=parsed.seq,
        checksum=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), size=1234, status=status,
        rows_read=rows_read, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined,
        error=error, door=door, delivered_by=delivered_by,
        started_at=started, finished_at=started + timedelta(seconds=1.5))
    if received_at is not None:
        FeedFile.objects.filter(pk=made.pk).update(received_at=received_at)
        made.refresh_from_db()
    return made


def quarantined_row(file: FeedFile, *, line_number: int, column: str, reason: str,
                    raw: dict[str, str]) -> QuarantinedRow:
    return QuarantinedRow.objects.create(
        feed_file=file, line_number=line_number, column=column, reason=reason,
        account_number=raw.get("account_number", ""), raw=raw)


def unknown_security(*, file: FeedFile, cusip: str = "", ticker: str = "") -> UnknownSecurity:
    """A queue entry and its placeholder security, as the resolver creates them."""
    placeholder = Security.objects.create(name=f"Unknown security {cusip or ticker}",
                                          status=Security.Status.PLACEHOLDER, cusip=cusip,
                                          ticker=ticker)
    for kind, value in (("cusip", cusip), ("ticker", ticker)):
        if value:
            SecurityIdentifier.objects.create(security=placeholder, kind=kind, value=value)
    return UnknownSecurity.objects.create(cusip=cusip, ticker=ticker, placeholder=placeholder,
                                          first_seen_file=file)


def security(*, ticker: str, cusip: str = "", name: str = "", **extra: Any) -> Security:
    made = Security.objects.create(name=name or ticker, ticker=ticker, cusip=cusip,
                                   security_type=Security.Type.EQUITY, **extra)
    for kind, value in (("cusip", cusip), ("ticker", ticker)):
        if value:
            SecurityIdentifier.objects.create(security=made, kind=kind, value=value)
    return made


@dataclass(frozen=True)
class Lot:
    security: Security
    quantity: str
    cost_basis: str
    acquired: date
    lot_id: str = "L1"


def snapshot(account: Any, *, file: FeedFile, lots: list[Lot], cash: str = "0") -> LotSet:
    """The account's lots and cash on the file's business date."""
    lot_set = LotSet.objects.create(account=account, business_date=file.business_date,
                                    feed_file=file, lot_count=len(lots))
    for lot in lots:
        TaxLot.objects.create(lot_set=lot_set, account=account, security=lot.security,
                              lot_id=lot.lot_id, quantity=Decimal(lot.quantity),
                              cost_basis=Decimal(lot.cost_basis), acquired_date=lot.acquired)
    CashBalance.objects.create(account=account, business_date=file.business_date,
                               feed_file=file, cash=Decimal(cash))
    return lot_set


def hold(account: Any, *, reason: str, source: str,
         kind: str = AccountHold.Kind.DATA_ERROR) -> AccountHold:
    return AccountHold.objects.create(account=account, kind=kind, reason=reason, source=source)


def reconciliation_break(account: Any, *, day: date, reason: str,
                         kind: str = ReconciliationBreak.Kind.NEGATIVE_CASH) -> ReconciliationBreak:
    return ReconciliationBreak.objects.create(account=account, business_date=day, kind=kind,
                                              reason=reason)


@dataclass(frozen=True)
class FirmDataRows:
    """One of everything the data pages and endpoints show, for the isolation harness."""

    feed_file: FeedFile
    quarantined_row: QuarantinedRow
    unknown_security: UnknownSecurity
    hold: AccountHold
    reconciliation_break: ReconciliationBreak
    corporate_action: CorporateAction


def firm_data_rows(personas: Any) -> FirmDataRows:
    """Rows marked with the firm's code, on the last business day (so the monitor shows them)."""
    from zoneinfo import ZoneInfo

    from dataops.calendar import business_days_back
    from dataops.models import FeedSchedule
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context

    code = personas.firm.code
    today = timezone.now().astimezone(ZoneInfo(personas.firm.timezone)).date()
    day = business_days_back(today, 2)[1]
    with firm_context(personas.firm), audit_context(system_job="tests"):
        FeedSchedule.objects.create(feed="tax_lots")
        file = feed_file(name=f"tax_lots_{day:%Y%m%d}.csv",
                         status=FeedFile.Status.LOADED_WITH_ERRORS,
                         rows_read=2, rows_loaded=1, rows_quarantined=1,
                         delivered_by=f"custodian@{code.lower()}.test")
        row = quarantined_row(file, line_number=2, column="quantity",
                              reason=f"{code}: quantity is negative",
                              raw={"account_number": personas.account.account_number,
                                   "quantity": "-5"})
        unknown = unknown_security(file=file, ticker=f"Z{code}"[:20])
        account_hold = hold(personas.account, reason=f"{code} holds an unknown security",
                            source=f"unknown_security:{unknown.placeholder_id}")
        found = reconciliation_break(personas.account, day=day,
                                     reason=f"{code}: cash is negative")
        # Received, not applied: a spin-off that lacks its basis percentage.
        action = CorporateAction.objects.create(
            action_id=f"CA-{code}", type=CorporateAction.Type.SPINOFF, effective_date=day,
            old_ticker=f"P{code}"[:20], old_security=security(ticker=f"P{code}"[:20]),
            new_ticker=f"C{code}"[:20], ratio_from=1, ratio_to=1,
            problem=f"{code}: it lacks basis_allocation_pct")
    return FirmDataRows(file, row, unknown, account_hold, found, action)
