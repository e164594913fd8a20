"""Resolving a row's cusip/ticker to a security of the master, as of the file's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from dataops.models import FeedFile, Security, SecurityIdentifier, UnknownSecurity


@dataclass(frozen=True, slots=True)
class Resolution:
    security_id: int | None
    unknown: bool = False  # resolved to a placeholder: the account gets a data-error hold
    error: str = ""  # the row is bad (identifiers that disagree with the master)


class SecurityResolver:
    """Loads the identifiers valid on `as_of` once, then resolves rows from memory.

    CUSIP is preferred; where a row gives both and they name different securities in the
    master, the row is an error. An unknown security is not an error: a placeholder is created
    (once per identifier) and queued for the data manager.
    """

    def __init__(self, *, as_of: date, feed_file: FeedFile):
        self.as_of = as_of
        self.feed_file = feed_file
        valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=as_of)) & (
            Q(valid_to__isnull=True) | Q(valid_to__gt=as_of))
        self.by_cusip: dict[str, int] = {}
        self.by_ticker: dict[str, int] = {}
        rows = SecurityIdentifier.objects.filter(valid, kind__in=["cusip", "ticker"]).values_list(
            "kind", "value", "security_id")
        for kind, value, security_id in rows:
            (self.by_cusip if kind == "cusip" else self.by_ticker)[value] = security_id
        self.ticker_of: dict[int, str] = {sid: t for t, sid in self.by_ticker.items()}
        self.cusip_of: dict[int, str] = {sid: c for c, sid in self.by_cusip.items()}
        self.placeholders: set[int] = set(
            UnknownSecurity.objects.filter(status=UnknownSecurity.Status.OPEN)
            .values_list("placeholder_id", flat=True))
        self.created: list[UnknownSecurity] = []

    def resolve(self, cusip: str, ticker: str) -> Resolution:
        by_cusip = self.by_cusip.get(cusip) if cusip else None
        by_ticker = self.by_ticker.get(ticker) if ticker else None
        if cusip and ticker:
            if by_cusip is not None and by_ticker is not None and by_cusip != by_ticker:
                return Resolution(None, error=(
                    f"CUSIP {cusip} and ticker {ticker} are different securities in the master"))
            master_ticker = self.ticker_of.get(by_cusip) if by_cusip is not None else None
            if by_ticker is None and master_ticker:
                return Resolution(None, error=(
                    f"CUSIP {cusip} is {master_ticker} in the security master, not {ticker}"))
            master_cusip = self.cusip_of.get(by_ticker) if by_ticker is not None else None
            if by_cusip is None and master_cusip:
                return Resolution(None, error=(
                    f"ticker {ticker} is CUSIP {master_cusip} in the security master, "
                    f"not {cusip}"))
        security_id = by_cusip if by_cusip is not None else by_ticker
        if security_id is None:
            security_id = self._placeholder(cusip, ticker)
        return Resolution(security_id, unknown=security_id in self.placeholders)

    def _placeholder(self, cusip: str, ticker: str) -> int:
        security = Security.objects.create(
            name=f"Unknown security {cusip or ticker}", status=Security.Status.PLACEHOLDER,
            cusip=cusip, ticker=ticker)
        for kind, value in (("cusip", cusip), ("ticker", ticker)):
            if value:
                SecurityIdentifier.objects.create(security=security, kind=kind, value=value)
        entry = UnknownSecurity.objects.create(cusip=cusip, ticker=ticker, placeholder=security,
                                               first_seen_file=self.feed_file)
        self.created.append(entry)
        if cusip:
            self.by_cusip[cusip] = security.pk
            self.cusip_of[security.pk] = cusip
        if ticker:
            self.by_ticker[ticker] = security.pk
            self.ticker_of[security.pk] = ticker
        self.placeholders.add(security.pk)
        return security.pk
