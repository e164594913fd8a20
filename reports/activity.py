"""Explained activity: a plain-English narrative of an account's trades over a period, built
from the trades' reasons and explanations as the analyses recorded them.

A day's trades are those of the latest analysis stored for the account that day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch

from optimizer.models import Analysis, ProposedTrade

# The main purpose of a trade (its first reason), as the narrative says it.
PURPOSES = {
    "restricted": "to sell a restricted security",
    "excluded_asset_class": "to leave an excluded asset class",
    "raise_cash": "to raise cash",
    "harvest_loss": "to harvest a loss",
    "asset_class_band": "to bring an asset class back within its band",
    "track_target": "to track the target more closely",
    "replace_harvested": "to keep the exposure of a harvested sale",
    "substitute": "in place of a blocked security",
    "invest_cash": "to invest spare cash",
    "gain_budget": "within the annual gain budget",
    "turnover_cap": "within the turnover limit",
    "realizes_gain": "accepting a realized gain",
}


def _code(reason: Any) -> str:
    return str(reason.get("code", "")) if isinstance(reason, dict) else str(reason)


def purpose(trade: ProposedTrade) -> str:
    code = _code(trade.reasons[0]) if trade.reasons else ""
    return PURPOSES.get(code, "to rebalance")


@dataclass(frozen=True)
class DayActivity:
    """One day's trades and their narrative."""

    trade_date: date
    trades: list[ProposedTrade]
    narrative: list[str]  # a sentence per trade


@dataclass(frozen=True)
class AccountActivity:
    """An account's explained activity over a period."""

    account: Any
    start: date
    end: date
    days: list[DayActivity]
    overview: str


def _money(value: Decimal) -> str:
    return f"${abs(value):,.2f}"


def _sentence(trade: ProposedTrade) -> str:
    verb = "Bought" if trade.side == "buy" else "Sold"
    ticker = trade.security.ticker or trade.security.cusip
    gain = ""
    if trade.side == "sell" and trade.realized_gain:
        gain = (f", realizing a {'gain' if trade.realized_gain > 0 else 'loss'} of "
                f"{_money(trade.realized_gain)}")
    text = (f"{verb} {trade.shares.normalize():f} {ticker} for {_money(trade.value)} "
            f"{purpose(trade)}{gain}.")
    return f"{text} {trade.explanation}" if trade.explanation else text


def _overview(days: list[DayActivity], start: date, end: date) -> str:
    trades = [t for day in days for t in day.trades]
    if not trades:
        return f"No trades were proposed from {start:%B %-d, %Y} to {end:%B %-d, %Y}."
    bought = sum((t.value for t in trades if t.side == "buy"), Decimal(0))
    sold = sum((t.value for t in trades if t.side == "sell"), Decimal(0))
    gains = sum((t.realized_gain for t in trades if t.realized_gain > 0), Decimal(0))
    losses = -sum((t.realized_gain for t in trades if t.realized_gain < 0), Decimal(0))
    purposes = Counter(purpose(t) for t in trades).most_common()
    why = "; ".join(f"{n} {text}" for text, n in purposes)
    return (f"From {start:%B %-d, %Y} to {end:%B %-d, %Y}, {len(trades)} trade"
            f"{'s' if len(trades) != 1 else ''} on {len(days)} day"
            f"{'s' if len(days) != 1 else ''}: bought {_money(bought)} and sold {_money(sold)}, "
            f"realizing {_money(gains)} of gains and {_money(losses)} of losses. "
            f"Why: {why}.")


def account_activity(*, account: Any, start: date, end: date) -> AccountActivity:
    return accounts_activity(accounts=[account], start=start, end=end)[0]


def accounts_activity(*, accounts: list[Any], start: date, end: date) -> list[AccountActivity]:
    """Each account's explained activity over the period, in the order given: each trading
    day's latest analysis with trades, read for every account at once (two queries)."""
    latest = (Analysis.objects.filter(account__in=accounts, trade_date__gte=start,
                                      trade_date__lte=end)
              .order_by("account_id", "trade_date", "-pk")
              .distinct("account_id", "trade_date").values("pk"))
    analyses = (Analysis.objects.filter(pk__in=latest)
                .filter(Exists(ProposedTrade.objects.filter(analysis_id=OuterRef("pk"))))
                .order_by("account_id", "trade_date")
                .prefetch_related(Prefetch("trades", ProposedTrade.objects.select_related(
                    "security").order_by("-side", "pk"))))
    days: dict[int, list[DayActivity]] = defaultdict(list)
    for a in analyses:
        days[a.account_id].append(DayActivity(a.trade_date, list(a.trades.all()),
                                              [_sentence(t) for t in a.trades.all()]))
    return [AccountActivity(account, start, end, days[account.pk],
                            _overview(days[account.pk], start, end)) for account in accounts]
