"""Prices and the factor risk model: each file replaces its date's data."""

from __future__ import annotations

from dataops.feeds.batch import FeedBatch
from dataops.models import Price, RiskCovariance, RiskExposure, RiskSpecific
from dataops.services.risk_proxies import risk_proxies_fill
from rebal.firm_context import require_firm


def _resolved(batch: FeedBatch) -> list[tuple[object, int]]:
    """(row, security id) for rows naming a security the master knows; others are refused:
    market data for a security nobody has added is not worth a placeholder."""
    resolved = []
    for row in batch.good_rows():
        values = row.values
        cusip, ticker = values.get("cusip") or "", values.get("ticker") or ""
        by_cusip = batch.resolver.by_cusip.get(cusip) if cusip else None
        by_ticker = batch.resolver.by_ticker.get(ticker) if ticker else None
        if by_cusip is None and by_ticker is None:
            batch.refuse(row.line_number, "cusip" if cusip else "ticker",
                         f"unknown security {cusip or ticker}: not in the security master")
            continue
        if by_cusip is not None and by_ticker is not None and by_cusip != by_ticker:
            batch.refuse(row.line_number, "cusip",
                         f"CUSIP {cusip} and ticker {ticker} are different securities")
            continue
        resolved.append((row, by_cusip if by_cusip is not None else by_ticker))
    return resolved


def load_prices(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = _resolved(batch)
    Price.objects.filter(as_of_date=batch.business_date).delete()
    prices = {}
    for row, security_id in rows:
        values = row.values  # type: ignore[attr-defined]
        prices[(security_id, values["as_of_date"])] = Price(
            firm=firm, security_id=security_id, as_of_date=values["as_of_date"],
            close=values["close"], feed_file=batch.feed_file)
    other_dates = {d for _, d in prices if d != batch.business_date}
    if other_dates:
        Price.objects.filter(as_of_date__in=other_dates,
                             security_id__in={s for s, _ in prices}).delete()
    Price.objects.bulk_create(list(prices.values()), batch_size=5000)
    batch.rows_loaded = len(prices)


def load_risk_exposures(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = _resolved(batch)
    RiskExposure.objects.filter(as_of_date=batch.business_date).delete()
    RiskExposure.objects.bulk_create([
        RiskExposure(firm=firm, security_id=security_id, as_of_date=batch.business_date,
                     factor=row.values["factor"], exposure=row.values["exposure"],  # type: ignore[attr-defined]
                     feed_file=batch.feed_file) for row, security_id in rows], batch_size=5000)
    batch.rows_loaded = len(rows)
    risk_proxies_fill(as_of=batch.business_date)


def load_risk_covariance(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = batch.good_rows()
    RiskCovariance.objects.filter(as_of_date=batch.business_date).delete()
    RiskCovariance.objects.bulk_create([
        RiskCovariance(firm=firm, as_of_date=batch.business_date,
                       factor_1=row.values["factor_1"], factor_2=row.values["factor_2"],
                       covariance=row.values["covariance"], feed_file=batch.feed_file)
        for row in rows], batch_size=5000)
    batch.rows_loaded = len(rows)


def load_risk_specific(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = _resolved(batch)
    RiskSpecific.objects.filter(as_of_date=batch.business_date).delete()
    RiskSpecific.objects.bulk_create([
        RiskSpecific(firm=firm, security_id=security_id, as_of_date=batch.business_date,
                     specific_variance=row.values["specific_variance"],  # type: ignore[attr-defined]
                     feed_file=batch.feed_file) for row, security_id in rows], batch_size=5000)
    batch.rows_loaded = len(rows)
    risk_proxies_fill(as_of=batch.business_date)
