"""Replay of an analysis record: its inputs rebuilt from what the record references, the
optimizer run again, its trades compared with the stored ones.

Settings and target come from the stored contents (by hash), not from the account as it is now;
cash and lots from the referenced cash balance and lot set (an account of a tax entity: its
lots through the entity's wash-sale view as of the trade date, as the analysis read them);
prices are each security's latest close on or before the trade date; the risk model is the
recorded date's (the universe slice for a nightly record, the account's slice for a single
one); the wash-sale windows and open orders are the recorded ones; a standing corporate
action's expected lots as the accounts room gives them for the trade date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.corporate_action_lots import lots_for_analysis
from accounts.models import TaxLot
from accounts.settings_catalog import CATALOG
from accounts.tax.holding_period import long_term_from
from accounts.tax_data import entity_tax_view
from dataops.models import Price, Security
from optimizer.account_inputs import (
    _core_security,
    _risk,
    _settings,
    held_shares,
    with_corporate_action_lots,
)
from optimizer.core.analyze import analyze
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    Lot,
    OpenOrder,
    Side,
    Target,
    TaxRates,
    TaxStatus,
    WashWindow,
)
from optimizer.core.outputs import Analysis as CoreAnalysis
from optimizer.models import Analysis
from optimizer.records_provenance import NIGHTLY
from optimizer.risk_universe import risk_universe

NIIT = Decimal("3.8")


class NotReplayable(Exception):
    """The analysis has no record to replay (stored before records were kept)."""


@dataclass(frozen=True)
class TradeLine:
    """A trade as replay compares it."""

    security_id: int
    symbol: str
    side: str
    shares: Decimal

    def __str__(self) -> str:
        return f"{self.side} {self.shares.normalize():f} {self.symbol}"


@dataclass(frozen=True)
class Replay:
    """What the replay proposed against what was stored."""

    analysis: Analysis
    result: CoreAnalysis
    stored: tuple[TradeLine, ...]
    replayed: tuple[TradeLine, ...]

    @property
    def only_stored(self) -> list[TradeLine]:
        return [t for t in self.stored if t not in set(self.replayed)]

    @property
    def only_replayed(self) -> list[TradeLine]:
        return [t for t in self.replayed if t not in set(self.stored)]

    @property
    def reproduces(self) -> bool:
        return sorted(self.stored, key=_order) == sorted(self.replayed, key=_order)


def _order(line: TradeLine) -> tuple[int, str, Decimal]:
    return line.security_id, line.side, line.shares


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _values(content: dict[str, Any]) -> dict[str, Any]:
    """The recorded effective settings, typed as the optimizer's input builders read them."""
    return {name: None if entry["value"] is None else CATALOG[name].load(entry["value"])
            for name, entry in content.items() if name in CATALOG}


def _lots(analysis: Analysis, entity_lots: bool) -> list[Lot]:
    account = analysis.account
    if entity_lots and account.tax_entity_id:
        view = entity_tax_view(tax_entity_id=account.tax_entity_id, as_of=analysis.trade_date)
        adjusted = {(lot.lot_id, lot.part): lot for lot in view.adjusted_lots
                    if lot.account == account.account_number}
        return [Lot(lot_id=f"{lot_id}#{part}" if part else lot_id, security=lot.security,
                    quantity=lot.quantity, cost_basis=lot.cost_basis,
                    acquired=lot.acquired_date, long_term_from=lot.long_term_from)
                for (lot_id, part), lot in sorted(adjusted.items())]
    if analysis.lot_set_id is None:
        return []
    return [Lot(lot_id=lot.lot_id, security=str(lot.security_id), quantity=lot.quantity,
                cost_basis=lot.cost_basis, acquired=lot.acquired_date,
                long_term_from=long_term_from(lot.acquired_date, lot.holding_period_start))
            for lot in TaxLot.objects.filter(lot_set_id=analysis.lot_set_id)
            .order_by("security__ticker", "acquired_date", "lot_id")]


def _windows(recorded: list[dict[str, Any]]) -> tuple[WashWindow, ...]:
    return tuple(WashWindow(
        key=w["key"], buy_blocked_until=_day(w["buy_blocked_until"]),
        loss_sale_blocked_until=_day(w["loss_sale_blocked_until"]),
        lot_loss_sale_blocked_until={lot: _day(day) for lot, day in
                                     (w.get("lot_loss_sale_blocked_until") or {}).items()},
        opened_by=w.get("opened_by", "")) for w in recorded)


def replay_analysis(analysis: Analysis) -> Replay:
    """Re-run the optimizer on the record's inputs (call in the analysis's firm context)."""
    if analysis.settings_content_id is None or analysis.target_content_id is None:
        raise NotReplayable(f"Analysis {analysis.pk} was stored before records were kept: "
                            "it names no settings or target to replay.")
    as_of, sources = analysis.trade_date, analysis.record_sources
    values = _values(analysis.settings_content.content)  # type: ignore[union-attr]
    target = analysis.target_content.content  # type: ignore[union-attr]
    lots = _lots(analysis, bool(sources.get("entity_lots")))
    cash = analysis.cash_balance.cash if analysis.cash_balance else Decimal(0)
    # A standing corporate action's expected lots, as both input paths use them.
    choice = lots_for_analysis({analysis.account_id: held_shares(lots)}, as_of).get(
        analysis.account_id)
    lots, action_cash, _ = with_corporate_action_lots(lots, choice)
    cash += action_cash

    tickers = {t for s in target["securities"] for t in s["satisfied_by"]}
    by_ticker = dict(Security.objects.filter(ticker__in=tickers).values_list("ticker", "pk"))
    equivalents = {s["equivalence_set"]: (str(s["security_id"]), *(
        str(by_ticker[t]) for t in s["satisfied_by"] if t in by_ticker))
        for s in target["securities"] if s["equivalence_set"]}
    keys = sorted({lot.security for lot in lots} | {str(s["security_id"])
                                                    for s in target["securities"]}
                  | {m for members in equivalents.values() for m in members}, key=int)
    prices = {str(pk): close for pk, close in (
        Price.objects.filter(security_id__in=[int(k) for k in keys], as_of_date__lte=as_of)
        .order_by("security_id", "-as_of_date").distinct("security_id")
        .values_list("security_id", "close"))}
    keys = [k for k in keys if k in prices]
    master = Security.objects.select_related("asset_class", "identical_group").in_bulk(
        [int(k) for k in keys])
    securities = {k: _core_security(master[int(k)], k, prices[k]) for k in keys}
    lots = [lot for lot in lots if lot.security in securities]
    value = cash + sum((lot.quantity * securities[lot.security].price for lot in lots),
                       Decimal(0))
    risk_as_of = date.fromisoformat(sources["risk_model"]["as_of"])
    if sources.get("path") == NIGHTLY:
        risk = risk_universe(risk_as_of).slice
    else:
        risk, _ = _risk(risk_as_of, keys)
    niit = Decimal(0) if values["net_investment_income_tax"] is False else NIIT
    tax_rates = TaxRates(
        short_term=float((values["federal_short_term_rate"] + values["state_short_term_rate"]
                          + niit) / 100),
        long_term=float((values["federal_long_term_rate"] + values["state_long_term_rate"]
                         + niit) / 100))
    snapshot = AccountSnapshot(account=analysis.account.account_number,
                               tax_status=TaxStatus(analysis.account.tax_status), cash=cash,
                               lots=tuple(lots))
    core_target = Target(
        weights={str(s["security_id"]): float(Decimal(s["weight"]))
                 for s in target["securities"] if str(s["security_id"]) in securities},
        equivalence_sets=tuple(
            EquivalenceSet(name=name, members=tuple(m for m in members if m in securities))
            for name, members in equivalents.items()))
    orders = tuple(OpenOrder(security=o["security"], side=Side(o["side"]),
                             shares=Decimal(o["shares"]), lot_id=o.get("lot_id", ""))
                   for o in sources.get("open_orders", ()))
    result = analyze(snapshot, core_target, _settings(values, cash, value), risk,
                     securities=securities, costs=Costs(), tax_rates=tax_rates,
                     trade_date=as_of, wash_windows=_windows(sources.get("wash_windows", [])),
                     open_orders=orders)
    symbols = {k: s.symbol for k, s in securities.items()}
    stored = tuple(TradeLine(t.security_id, t.security.ticker or t.security.cusip, t.side,
                             t.shares) for t in analysis.trades.select_related("security"))
    replayed = tuple(TradeLine(int(t.security), symbols.get(t.security, t.security),
                               str(t.side), t.shares) for t in result.trades)
    return Replay(analysis=analysis, result=result, stored=stored, replayed=replayed)
