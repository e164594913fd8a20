"""The optimizer inputs of a chunk of accounts, in a few bulk queries whatever its size.

The same inputs as `optimizer.account_inputs.account_inputs` gives one account at a time
(tests/optimizer/test_chunk_inputs.py compares them), loaded for the whole chunk at once:
accounts and their tax entities' members, current lot sets and cash, the entities' snapshots
before the wash-sale window and their transactions since (the tax engine runs only for the
entities that traded in the window: without trades there are no windows and no overlay),
settings and targets (`accounts.targets.resolve_targets`, the model book read once per chunk),
prices and the security master. The risk model is universe-level: built once per risk-model
date per worker process (`optimizer.risk_universe`), and every account uses the same slice.

Where the single-account path would analyze an account on data it cannot trust, the chunk
refuses it with a plain reason instead: a held security without a price, a target that cannot
be resolved, lots that match neither side of a standing corporate action. Lots on the other side
of a corporate action from the prices are replaced by the expected ones, as on the single path
(`accounts.corporate_action_lots`, asked once for the chunk).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from accounts.corporate_action_lots import LotsForAnalysis, lots_for_analysis
from accounts.models import Account, TaxLot, Transaction
from accounts.selectors import current_cash, current_lot_sets
from accounts.settings_resolution import (
    AccountRow,
    EffectiveSettings,
    SettingsRule,
    effective_settings_batch,
)
from accounts.targets import ResolvedTarget, resolve_targets
from accounts.tax.holding_period import long_term_from as _long_term_from
from accounts.tax.realized import Lot as EngineLot
from accounts.tax.realized import LotMismatchError, Realization, TransactionType, realize
from accounts.tax.realized import Transaction as EngineTransaction
from accounts.tax.wash_sales import (
    AccountTaxProfile,
    apply_overlay,
    find_wash_sales,
    wash_sale_windows,
)
from accounts.tax.wash_sales import TaxStatus as EngineTaxStatus
from accounts.tax_data import WINDOW_DAYS, _base_lot_sets
from dataops.models import Price, Security
from optimizer.account_inputs import (
    AccountInputs,
    _core_security,
    _settings,
    held_shares,
    with_corporate_action_lots,
)
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    Lot,
    Side,
    Target,
    TaxRates,
    TaxStatus,
    WashWindow,
)
from optimizer.core.inputs import Security as CoreSecurity
from optimizer.core.wash import SiblingTrade, windows_with_proposals
from optimizer.models import Analysis, ProposedTrade
from optimizer.records_provenance import NIGHTLY, InputsProvenance
from optimizer.risk_universe import RiskUniverse, risk_universe

LOT_FIELDS = ("lot_set_id", "account_id", "security_id", "lot_id", "quantity", "cost_basis",
              "acquired_date", "holding_period_start", "wash_sale_adjustment")
NIIT = Decimal("3.8")
# Lots share acquisition dates by the thousand: the one-year rule is worked out once per date.
long_term_from = lru_cache(maxsize=65536)(_long_term_from)


@dataclass(frozen=True)
class ChunkAccount:
    """One account of a chunk: its inputs, or why it cannot be analyzed."""

    account_id: int
    tax_entity_id: int | None
    inputs: AccountInputs | None
    failure: str = ""


@dataclass(frozen=True)
class _EntityView:
    """What the wash-sale engine says about one tax entity, as the optimizer needs it."""

    windows: tuple[WashWindow, ...]
    # Account number → its open lots, overlay applied; None when the entity traded nothing in
    # the window (no overlay: the custodian's lots as they are).
    adjusted: dict[str, list[Lot]] | None
    failure: str = ""  # why the entity's wash-sale history could not be worked out


@dataclass(frozen=True)
class _Member:
    pk: int
    number: str
    tax_entity_id: int
    tax_status: str


def _engine_lot(row: tuple[Any, ...], number: str) -> EngineLot:
    _, _, security, lot_id, quantity, basis, acquired, start, adjustment = row
    return EngineLot(account=number, lot_id=lot_id, security=str(security), quantity=quantity,
                     cost_basis=basis, acquired_date=acquired, holding_period_start=start,
                     wash_sale_adjustment=adjustment)


def _plain_lots(rows: Iterable[tuple[Any, ...]]) -> list[Lot]:
    """An account's custodian lots as the core takes them, in the order given."""
    return [Lot(lot_id=lot_id, security=str(security), quantity=quantity, cost_basis=basis,
                acquired=acquired, long_term_from=long_term_from(acquired, start))
            for _, _, security, lot_id, quantity, basis, acquired, start, _ in rows]


def _by_lot_id(lots: Iterable[Lot]) -> list[Lot]:
    """An entity account's lots keyed and ordered as the overlay path orders them (by lot id
    and part; part 0 keeps the custodian's id)."""
    return [lot for _, lot in sorted({lot.lot_id: lot for lot in lots}.items())]


def _entity_views(members: Sequence[_Member], chunk_lots: Mapping[int, list[tuple[Any, ...]]],
                  as_of: date, window_days: int = WINDOW_DAYS) -> dict[int, _EntityView]:
    """The wash-sale view of every entity in the chunk (`accounts.tax_data.entity_tax_view`
    for many entities in a few queries). An entity with no transaction in the window has no
    window and no overlay, so the engine is not run for it."""
    by_entity: dict[int, list[_Member]] = defaultdict(list)
    for member in members:
        by_entity[member.tax_entity_id].append(member)
    numbers = {member.pk: member.number for member in members}
    start = as_of - timedelta(days=window_days)
    base = _base_lot_sets(list(numbers), start, as_of)
    since = {entity: min([start, *(base[m.pk].business_date for m in group if m.pk in base)])
             for entity, group in by_entity.items()}
    entity_of = {member.pk: member.tax_entity_id for member in members}
    transactions: dict[int, list[EngineTransaction]] = defaultdict(list)
    rows = (Transaction.objects.filter(account_id__in=list(numbers),
                                       trade_date__gte=min(since.values(), default=start),
                                       trade_date__lte=as_of)
            .order_by("trade_date", "pk")
            .values_list("account_id", "transaction_id", "trade_date", "type", "security_id",
                         "quantity", "amount", "price", "lot_id", "cancels"))
    for (account_id, transaction_id, trade_date, kind, security, quantity, amount, price,
         lot_id, cancels) in rows:
        entity = entity_of[account_id]
        if trade_date < since[entity] or (account_id in base and
                                          trade_date <= base[account_id].business_date):
            continue
        transactions[entity].append(EngineTransaction(
            transaction_id=transaction_id, account=numbers[account_id], trade_date=trade_date,
            type=TransactionType(kind), security=str(security) if security else None,
            quantity=quantity, amount=amount, price=price, lot_id=lot_id, cancels=cancels))
    views = {entity: _EntityView((), None) for entity in by_entity if entity not in transactions}
    if not transactions:
        return views
    traded = [m for m in members if m.tax_entity_id in transactions]
    base_rows: dict[int, list[EngineLot]] = defaultdict(list)
    lot_sets = {base[m.pk].pk: m for m in traded if m.pk in base}
    for row in TaxLot.objects.filter(lot_set_id__in=list(lot_sets)).values_list(*LOT_FIELDS):
        member = lot_sets[row[0]]
        base_rows[member.tax_entity_id].append(_engine_lot(row, member.number))
    groups = {str(pk): code for pk, code in Security.objects.filter(
        identical_group__isnull=False).values_list("pk", "identical_group__code")}
    for entity, entity_transactions in transactions.items():
        try:
            views[entity] = _engine_view(entity, by_entity[entity], entity_transactions,
                                         base_rows[entity], chunk_lots, groups, as_of)
        except (ValueError, KeyError, ArithmeticError) as error:
            views[entity] = _EntityView((), None, "Its tax entity's wash-sale history could "
                                        f"not be worked out ({error}).")
    return views


def _engine_view(entity: int, group: Sequence[_Member],
                 entity_transactions: list[EngineTransaction], base_lots: list[EngineLot],
                 chunk_lots: Mapping[int, list[tuple[Any, ...]]], groups: Mapping[str, str],
                 as_of: date) -> _EntityView:
    """One entity through the tax engine, as `accounts.tax_data.entity_tax_view` runs it."""
    profiles = {m.number: AccountTaxProfile(account=m.number, tax_entity=str(entity),
                                            tax_status=EngineTaxStatus(m.tax_status))
                for m in group}
    try:
        realization = realize(lots=base_lots, transactions=entity_transactions)
    except LotMismatchError:
        realization = Realization(realized=(), open_lots=())
    analysis = find_wash_sales(accounts=profiles, transactions=entity_transactions,
                               realized=realization.realized, identical_groups=groups)
    windows = wash_sale_windows(tax_entity=str(entity), accounts=profiles,
                                transactions=entity_transactions,
                                realized=realization.realized, identical_groups=groups,
                                as_of=as_of)
    current = [_engine_lot(row, m.number) for m in group for row in chunk_lots.get(m.pk, ())]
    adjusted: dict[str, dict[tuple[str, int], Lot]] = defaultdict(dict)
    for lot in apply_overlay(lots=current, overlays=analysis.overlays):
        adjusted[lot.account][(lot.lot_id, lot.part)] = Lot(
            lot_id=f"{lot.lot_id}#{lot.part}" if lot.part else lot.lot_id,
            security=lot.security, quantity=lot.quantity, cost_basis=lot.cost_basis,
            acquired=lot.acquired_date, long_term_from=lot.long_term_from)
    return _EntityView(
        tuple(WashWindow(key=key, buy_blocked_until=w.buy_blocked_until,
                         loss_sale_blocked_until=w.loss_sale_blocked_until)
              for key, w in windows.items()
              if w.buy_blocked_until or w.loss_sale_blocked_until),
        {number: [lot for _, lot in sorted(parts.items())]
         for number, parts in adjusted.items()})


def _stored_proposals(members: Sequence[_Member], chunk: set[int], trade_date: date
                      ) -> tuple[dict[int, list[SiblingTrade]], dict[str, str]]:
    """Trades stored for `trade_date` in entity members outside the chunk (each account's
    latest analysis of the date), by entity: they are in the windows as tonight's proposals.
    Also the wash keys of their securities."""
    outside = {m.pk: m for m in members if m.pk not in chunk}
    proposals: dict[int, list[SiblingTrade]] = defaultdict(list)
    wash_keys: dict[str, str] = {}
    if not outside:
        return proposals, wash_keys
    latest = (Analysis.objects.filter(account_id__in=list(outside), trade_date=trade_date)
              .order_by("account_id", "-pk").distinct("account_id")
              .values_list("pk", flat=True))
    for account_id, security_id, group, side, lots in (
            ProposedTrade.objects.filter(analysis_id__in=list(latest))
            .order_by("analysis_id", "pk")
            .values_list("analysis__account_id", "security_id",
                         "security__identical_group__code", "side", "lots")):
        member, key = outside[account_id], str(security_id)
        wash_keys[key] = group or key
        proposals[member.tax_entity_id].append(SiblingTrade(
            account=member.number, taxable=member.tax_status == Account.TaxStatus.TAXABLE,
            security=key, side=Side(side),
            sells_at_loss=any(float(lot["gain"]) < 0 for lot in lots)))
    return proposals, wash_keys


def _tax_rates(values: EffectiveSettings) -> TaxRates:
    niit = Decimal(0) if values["net_investment_income_tax"] is False else NIIT
    return TaxRates(
        short_term=float((values["federal_short_term_rate"] + values["state_short_term_rate"]
                          + niit) / 100),
        long_term=float((values["federal_long_term_rate"] + values["state_long_term_rate"]
                         + niit) / 100))


@dataclass
class _Chunk:
    """What the chunk's bulk queries returned, for building each account's inputs."""

    as_of: date
    targets: Mapping[int, ResolvedTarget]
    settings: Mapping[int, EffectiveSettings]
    cash: Mapping[int, Decimal]
    cash_ids: Mapping[int, int]  # account → the cash balance row read
    lot_set_ids: Mapping[int, int]  # account → the lot set read
    price_files: Mapping[str, tuple[date, int]]  # security → its price's date and feed file
    by_ticker: Mapping[str, int]
    prices: Mapping[str, Decimal]
    master: Mapping[int, Security]
    risk: RiskUniverse
    views: Mapping[int, _EntityView]
    proposals: Mapping[int, list[SiblingTrade]]
    wash_keys: Mapping[str, str]  # of the stored proposals' securities
    securities: dict[str, CoreSecurity]

    def security(self, key: str) -> CoreSecurity:
        found = self.securities.get(key)
        if found is None:
            found = self.securities[key] = _core_security(self.master[int(key)], key,
                                                          self.prices[key])
        return found


def _account(chunk: _Chunk, row: AccountRow, tax_status: str, lots: list[Lot],
             actions: LotsForAnalysis | None) -> AccountInputs | str:
    """One account's inputs from the chunk's data, or why it cannot be analyzed."""
    if actions is not None and actions.refusal:
        return actions.refusal
    target = chunk.targets[row.id]
    if target.errors:
        return "Its target cannot be resolved: " + " ".join(target.errors)
    lots, action_cash, notes = with_corporate_action_lots(lots, actions)
    equivalents: dict[str, tuple[str, ...]] = {}
    for security in target.securities:
        if security.equivalence_set:
            equivalents[security.equivalence_set] = (str(security.security_id), *(
                str(chunk.by_ticker[t]) for t in security.satisfied_by if t in chunk.by_ticker))
    keys = sorted({lot.security for lot in lots} | {str(k) for k in target.weights}
                  | {m for members in equivalents.values() for m in members}, key=int)
    unpriced = [k for k in keys if k not in chunk.prices]
    if unpriced:
        held = sorted({lot.security for lot in lots if lot.security in set(unpriced)}, key=int)
        if held:
            names = ", ".join(chunk.master[int(k)].ticker or chunk.master[int(k)].cusip
                              for k in held if int(k) in chunk.master)
            return (f"It holds {len(held)} securities with no price on or before "
                    f"{chunk.as_of} ({names}): its value and trades cannot be worked out.")
        notes.append(f"{len(unpriced)} securities have no price and cannot be traded")
        keys = [k for k in keys if k in chunk.prices]
    securities = {k: chunk.security(k) for k in keys}
    weights = {str(k): float(w) for k, w in target.weights.items() if str(k) in securities}
    cash = chunk.cash.get(row.id, Decimal(0)) + action_cash
    snapshot = AccountSnapshot(account=row.account_number, tax_status=TaxStatus(tax_status),
                               cash=cash, lots=tuple(lots))
    value = cash + sum((lot.quantity * securities[lot.security].price for lot in lots),
                       Decimal(0))
    values = chunk.settings[row.id]
    missing = chunk.risk.missing(keys)
    if missing:
        notes.append(f"{missing} securities lack a risk model or proxy: a typical specific "
                     "variance is assumed for them")
    view = chunk.views.get(row.tax_entity_id) if row.tax_entity_id else None
    windows = view.windows if view is not None else ()
    siblings = chunk.proposals.get(row.tax_entity_id) if row.tax_entity_id else None
    if siblings:
        windows = windows_with_proposals(windows, siblings, chunk.wash_keys, chunk.as_of)
    used = [chunk.price_files[k] for k in keys]
    provenance = InputsProvenance(
        path=NIGHTLY, settings=values, target=target, lot_set_id=chunk.lot_set_ids.get(row.id),
        cash_balance_id=chunk.cash_ids.get(row.id),
        price_files=frozenset(file_id for _, file_id in used),
        prices_through=max((day for day, _ in used), default=None),
        risk_model_as_of=chunk.risk.slice.as_of, entity_lots=view is not None)
    return AccountInputs(
        snapshot=snapshot,
        target=Target(weights=weights, equivalence_sets=tuple(
            EquivalenceSet(name=name, members=tuple(m for m in members if m in securities))
            for name, members in equivalents.items())),
        settings=_settings(values, cash, value), risk=chunk.risk.slice, securities=securities,
        costs=Costs(), tax_rates=_tax_rates(values), wash_windows=windows, notes=tuple(notes),
        provenance=provenance)


def chunk_inputs(account_ids: Sequence[int], as_of: date, *,
                 rules: Mapping[int, Sequence[SettingsRule]] | None = None
                 ) -> list[ChunkAccount]:
    """Inputs of the chunk's accounts that exist in the firm, in the order given; `rules` maps
    an account id to the settings rules covering it (worked out by the workflow)."""
    found = {row[0]: (AccountRow(*row[:-1]), row[-1]) for row in Account.objects.filter(
        pk__in=list(account_ids)).values_list(*AccountRow.FIELDS, "tax_status")}
    ids = [pk for pk in dict.fromkeys(account_ids) if pk in found]
    rows = [found[pk][0] for pk in ids]
    entities = {row.tax_entity_id for row in rows if row.tax_entity_id}
    members = [_Member(*m) for m in Account.objects.filter(tax_entity_id__in=entities)
               .values_list("pk", "account_number", "tax_entity_id", "tax_status")]
    lot_sets = current_lot_sets(ids, as_of)
    set_accounts = {lot_set.pk: lot_set.account_id for lot_set in lot_sets.values()}
    chunk_lots: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    # The custodian's order (`accounts.selectors.holdings`): it is the lots' order for an
    # account outside any tax entity.
    for row in (TaxLot.objects.filter(lot_set_id__in=list(set_accounts))
                .order_by("lot_set_id", "security__ticker", "acquired_date", "lot_id")
                .values_list(*LOT_FIELDS)):
        chunk_lots[set_accounts[row[0]]].append(row)
    balances = current_cash(ids, as_of)
    cash = {pk: balance.cash for pk, balance in balances.items()}
    views = _entity_views(members, chunk_lots, as_of) if members else {}
    account_lots = _lots_or_failures(rows, views, chunk_lots)
    actions = lots_for_analysis({pk: held_shares(lots) for pk, lots in account_lots.items()
                                 if not isinstance(lots, str)}, as_of)
    settings = effective_settings_batch(rows, rules=rules)
    targets = resolve_targets(rows, as_of, settings=settings, hold_unknown_programs=False)
    wanted = {t for target in targets.values() for s in target.securities
              for t in s.satisfied_by}
    by_ticker = dict(Security.objects.filter(ticker__in=wanted).values_list("ticker", "pk"))
    keys = ({int(row[2]) for lots in chunk_lots.values() for row in lots}
            | {k for target in targets.values() for k in target.weights}
            | set(by_ticker.values())
            | {int(lot.security) for choice in actions.values() for one in choice.replacements
               for lot in one.lots})
    prices: dict[str, Decimal] = {}
    price_files: dict[str, tuple[date, int]] = {}
    for pk, close, day, file_id in (
            Price.objects.filter(security_id__in=keys, as_of_date__lte=as_of)
            .order_by("security_id", "-as_of_date").distinct("security_id")
            .values_list("security_id", "close", "as_of_date", "feed_file_id")):
        prices[str(pk)] = close
        price_files[str(pk)] = (day, file_id)
    master = Security.objects.select_related("asset_class", "identical_group").in_bulk(keys)
    proposals, wash_keys = _stored_proposals(members, set(ids), as_of)
    try:
        risk = risk_universe(as_of)
    except (ValueError, np.linalg.LinAlgError) as error:
        reason = f"The risk model cannot be used ({error})."
        return [ChunkAccount(row.id, row.tax_entity_id, None, reason) for row in rows]
    chunk = _Chunk(as_of=as_of, targets=targets, settings=settings, cash=cash,
                   cash_ids={pk: balance.pk for pk, balance in balances.items()},
                   lot_set_ids={pk: lot_set.pk for pk, lot_set in lot_sets.items()},
                   price_files=price_files, by_ticker=by_ticker, prices=prices, master=master,
                   risk=risk, views=views, proposals=proposals, wash_keys=wash_keys, securities={})
    out = []
    for row in rows:
        lots = account_lots[row.id]
        built: AccountInputs | str = lots if isinstance(lots, str) else ""
        if not isinstance(lots, str):
            try:
                built = _account(chunk, row, found[row.id][1], lots, actions.get(row.id))
            except (ValueError, KeyError, ArithmeticError) as error:
                built = f"Its data is not consistent ({error})."
        out.append(ChunkAccount(row.id, row.tax_entity_id, built, "")
                   if isinstance(built, AccountInputs)
                   else ChunkAccount(row.id, row.tax_entity_id, None, built))
    return out


def _lots_or_failures(rows: Sequence[AccountRow], views: Mapping[int, _EntityView],
                      chunk_lots: Mapping[int, list[tuple[Any, ...]]]
                      ) -> dict[int, list[Lot] | str]:
    """Each account's lots as the core takes them (the overlay applied where its entity
    traded), or why they cannot be had."""
    out: dict[int, list[Lot] | str] = {}
    for row in rows:
        view = views[row.tax_entity_id] if row.tax_entity_id else None
        try:
            if view is not None and view.failure:
                out[row.id] = view.failure
            elif view is None:
                out[row.id] = _plain_lots(chunk_lots.get(row.id, ()))
            elif view.adjusted is None:
                out[row.id] = _by_lot_id(_plain_lots(chunk_lots.get(row.id, ())))
            else:
                out[row.id] = view.adjusted.get(row.account_number, [])
        except (ValueError, KeyError, ArithmeticError) as error:
            out[row.id] = f"Its data is not consistent ({error})."
    return out
