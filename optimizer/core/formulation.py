"""The account's problem in numbers: every vector the optimizer needs, with why each bound is.

`formulate` turns the inputs (snapshot, target, calibrated settings, risk slice, costs, tax
rates, wash-sale windows, open orders) into a `Formulation`: per security, per lot and per
account arrays, all in fractions of the account's value. `problem.py` assembles the sparse OSQP
matrices from it and `reference.py` writes the same problem readably in cvxpy; both read only
this, so the reference checks the assembly, and the scenario tests check the rules here.

Rules as bounds (a blocked variable has upper bound 0, a forced sale has lower = upper = lot):
- do-not-trade, do-not-buy → no buy; do-not-trade, do-not-sell → no sale;
- restricted (either policy) and excluded asset classes → no buy; restricted under the
  sell-all policy and excluded asset classes → every lot sold, unless a hard rule keeps it
  (do-not-sell, do-not-trade, an open order, a wash-sale window on a loss lot): then the lot
  stays and a note says why;
- wash sales: no buy of a security whose identical group has a buy window open on the trade
  date, in any account; in a taxable account, no loss sale of a lot whose loss-sale window is
  open (gains may sell);
- open orders are netted into the position as if filled at today's price, and a security with
  an open order is neither bought nor sold again until it fills or is cancelled (the same
  direction would trade twice; the other would buy and sell the same security);
- equivalence sets: only the most preferred member that no rule blocks may be bought
  (`NOT_PREFERRED` holds the others back), any member's lots may be sold.

Blocks win over forced sales because the relaxation order never relaxes restrictions or
wash-sale rules; a forced sale the rules forbid is reported, not made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

import numpy as np

from optimizer.core.calibration import Calibration
from optimizer.core.inputs import (
    AccountSnapshot,
    BoolArray,
    Costs,
    FloatArray,
    IntArray,
    Lot,
    OpenOrder,
    RestrictedPolicy,
    RiskModelSlice,
    Security,
    Settings,
    Side,
    Target,
    TaxRates,
    Term,
    WashWindow,
)

INFINITY = np.inf


class Rule(StrEnum):
    """Why a variable is blocked (upper bound 0) or forced (a lot sold whole)."""

    DO_NOT_TRADE = "do_not_trade"
    DO_NOT_BUY = "do_not_buy"
    DO_NOT_SELL = "do_not_sell"
    RESTRICTED = "restricted"
    EXCLUDED_ASSET_CLASS = "excluded_asset_class"
    OPEN_ORDER = "open_order"
    WASH_SALE = "wash_sale"
    # Tonight's own loss sale of the identical group: buying it back would wash the loss.
    OWN_LOSS_SALE = "own_loss_sale"
    # Tonight's own buy of the identical group: a loss sale now would be washed by it.
    OWN_PURCHASE = "own_purchase"
    # Actionability, not rules: trades dropped after rounding, then the account re-solved.
    MINIMUM_TRADE = "minimum_trade"
    COST_BENEFIT = "cost_benefit"
    # Not a rule either: within an equivalence set only the most preferred member that no rule
    # blocks is bought (substitutes are interchangeable, so buying two would only cost more;
    # and with identical exposures the choice between them is degenerate for the solver).
    NOT_PREFERRED = "not_preferred"


HARD_RULES = frozenset(Rule) - {Rule.MINIMUM_TRADE, Rule.COST_BENEFIT, Rule.NOT_PREFERRED}
NO_RULE = ""


@dataclass(frozen=True, eq=False)
class Formulation:
    """One account's problem, in fractions of account value.

    Per security i (n, sorted by key): `held` h (open orders netted), `target` w*, costs,
    `buy_upper` (0 when blocked, else ∞) with `buy_rule`, `asset_class` and `group` indices,
    `loadings` Lᵀ Xᵀ columns (k × n). Per lot l (m): `lot_security`, `lot_available` (the lot's
    value), `lot_gain` (gain per unit of value sold, negative for a loss), `lot_tax` (the
    objective's tax coefficient τ·rate·gain·scale), bounds and rules. Per group g (equivalence
    sets; every other security alone): target, specific variance. Per asset class c: target,
    band. Account: `cash`, `cash_minimum`, `ticket_reserve` (tickets are a fixed cost per
    trade, so the cash row keeps back the tickets of the trades the last solve made),
    `gain_budget`, `turnover_cap` (one-way; ∞ = none).

    Invariants: `0 <= sell_lower <= sell_upper <= lot_available`; `buy_upper` in {0, ∞};
    `sum(held) + cash == 1` up to rounding; a forced lot has `sell_lower == lot_available`.
    Objective: κ(‖Lᵀ Xᵀ (w − w*)‖² + Σ_g δ²_g (w_g − w*_g)²) + Σ lot_tax·s + Σ c·(b + S s),
    with w = h + z, z = b − S s the net trade per security.
    """

    trade_date: date
    value: float
    value_dollars: Decimal
    cash_dollars: Decimal
    keys: tuple[str, ...]
    prices: tuple[Decimal, ...]
    symbols: tuple[str, ...]
    price: FloatArray
    held: FloatArray
    target: FloatArray
    buy_cost: FloatArray
    sell_cost: FloatArray
    buy_upper: FloatArray
    buy_rule: tuple[str, ...]
    asset_class: IntArray
    asset_classes: tuple[str, ...]
    class_target: FloatArray
    class_band: FloatArray
    group: IntArray
    group_target: FloatArray
    group_variance: FloatArray
    group_names: tuple[str, ...]
    set_members: tuple[tuple[int, ...], ...]  # per equivalence set, most preferred first
    wash_group: IntArray
    loadings: FloatArray
    lot_ids: tuple[str, ...]
    lot_security: IntArray
    lot_shares: FloatArray
    lot_available: FloatArray
    lot_basis_per_share: FloatArray
    lot_gain: FloatArray
    lot_rate: FloatArray
    lot_long: BoolArray
    lot_tax: FloatArray
    lot_acquired: tuple[date, ...]
    lot_quantity: tuple[Decimal, ...]
    lot_cost_basis: tuple[Decimal, ...]
    sell_lower: FloatArray
    sell_upper: FloatArray
    sell_rule: tuple[str, ...]
    force_rule: tuple[str, ...]
    cash: float
    cash_minimum: float
    ticket_reserve: float  # cash held back for ticket charges, which the QP cannot price
    gain_budget: float
    turnover_cap: float
    kappa: float
    taxable: bool
    block_details: Mapping[str, str]  # key → "which …" clause, for wash-sale buy blocks
    notes: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def m(self) -> int:
        return len(self.lot_ids)

    @property
    def k(self) -> int:
        return int(self.loadings.shape[0])

    @cached_property
    def forced(self) -> BoolArray:
        """Lots that must be sold whole (a forced sale's lower bound is the lot)."""
        return self.sell_lower > 0

    def buys(self, s: FloatArray, z: FloatArray) -> FloatArray:
        """b = z + S s: what is bought of each security."""
        return z + np.bincount(self.lot_security, s, minlength=self.n)

    def sold(self, s: FloatArray) -> FloatArray:
        """S s: what is sold of each security."""
        return np.asarray(np.bincount(self.lot_security, s, minlength=self.n), dtype=np.float64)

    def tracking_variance(self, weights: FloatArray) -> float:
        """Ex-ante tracking variance (annual) of `weights` against the target."""
        active = weights - self.target
        factor = self.loadings @ active
        grouped = np.bincount(self.group, active, minlength=len(self.group_target))
        return float(factor @ factor + self.group_variance @ grouped**2)

    def tracking_gradient(self, weights: FloatArray) -> FloatArray:
        """½ ∂TE²/∂w per security: Σ (w − w*), with the specific part taken per group."""
        active = weights - self.target
        grouped = np.bincount(self.group, active, minlength=len(self.group_target))
        return np.asarray(self.loadings.T @ (self.loadings @ active)
                          + self.group_variance[self.group] * grouped[self.group])

    def own_variance(self) -> FloatArray:
        """Σ_ii per security: the tracking variance of one unit of it alone."""
        return np.asarray(np.einsum("ki,ki->i", self.loadings, self.loadings)
                          + self.group_variance[self.group])

    def objective(self, s: FloatArray, z: FloatArray) -> float:
        """The full objective at (s, z), constants included: the number both solvers meet."""
        b = self.buys(s, z)
        weights = self.held + z
        return (self.kappa * self.tracking_variance(weights) + float(self.lot_tax @ s)
                + float(self.buy_cost @ b) + float(self.sell_cost[self.lot_security] @ s))

    def cash_after(self, s: FloatArray, z: FloatArray) -> float:
        b = self.buys(s, z)
        return float(self.cash + (1 - self.sell_cost[self.lot_security]) @ s
                     - (1 + self.buy_cost) @ b)

    def block_buys(self, which: BoolArray, rule: Rule) -> Formulation:
        """A copy with buys of `which` blocked by `rule` (rules already there stay), and each
        equivalence set's buy moved to its most preferred member still open."""
        upper = self.buy_upper.copy()
        upper[which] = 0.0
        rules = [rule.value if hit and old in (NO_RULE, Rule.NOT_PREFERRED) else old
                 for hit, old in zip(which, self.buy_rule, strict=True)]
        return self._preferred(upper, rules)

    def unblock_buys(self, which: BoolArray, rule: Rule) -> Formulation:
        """A copy with the buys of `which` that `rule` blocked allowed again (then each
        equivalence set's buy goes to its most preferred open member)."""
        which = which & np.array([old == rule for old in self.buy_rule], dtype=bool)
        upper = self.buy_upper.copy()
        upper[which] = INFINITY
        rules = [NO_RULE if hit else old for hit, old in zip(which, self.buy_rule, strict=True)]
        return self._preferred(upper, rules)

    def _preferred(self, upper: FloatArray, rules: list[str]) -> Formulation:
        """Within each equivalence set, only the most preferred member that no rule blocks may
        be bought; the others are held back as `NOT_PREFERRED` (recomputed from scratch)."""
        for members in self.set_members:
            chosen = False
            for member in members:
                if rules[member] == Rule.NOT_PREFERRED:
                    rules[member], upper[member] = NO_RULE, INFINITY
                if rules[member]:
                    continue
                if chosen:
                    rules[member], upper[member] = Rule.NOT_PREFERRED, 0.0
                chosen = True
        return replace(self, buy_upper=upper, buy_rule=tuple(rules))

    @cached_property
    def lot_priority(self) -> IntArray:
        """Lots sorted by security, then by the objective's preference (least tax first), then
        highest cost per share first: the order in which ties are broken everywhere."""
        return np.lexsort((-self.lot_basis_per_share, np.round(self.lot_tax, 12),
                           self.lot_security))

    @cached_property
    def held_shares(self) -> FloatArray:
        """Shares held per security in lots (open sells netted)."""
        return np.asarray(np.bincount(self.lot_security, self.lot_shares, minlength=self.n),
                          dtype=np.float64)

    def block_sales(self, which: BoolArray, rule: Rule) -> Formulation:
        """A copy with sales of the lots in `which` blocked by `rule`; forced lots stay."""
        which = which & ~self.forced
        upper = self.sell_upper.copy()
        upper[which] = 0.0
        rules = tuple(rule.value if hit and not old else old
                      for hit, old in zip(which, self.sell_rule, strict=True))
        return replace(self, sell_upper=upper, sell_rule=rules)


def _money(amount: Decimal) -> float:
    return float(amount)


def _net_open_orders(lots: Sequence[Lot], orders: Sequence[OpenOrder],
                     ) -> tuple[dict[str, Decimal], dict[str, Decimal], set[str]]:
    """Shares left per lot after open sells, shares pending per security from open buys, and
    the securities with an open order. An unnamed sell relieves the highest-cost lots first."""
    available = {lot.lot_id: lot.quantity for lot in lots}
    pending: dict[str, Decimal] = {}
    with_orders: set[str] = set()
    by_security: dict[str, list[Lot]] = {}
    for lot in lots:
        by_security.setdefault(lot.security, []).append(lot)
    for order in orders:
        with_orders.add(order.security)
        if order.side == Side.BUY:
            pending[order.security] = pending.get(order.security, Decimal(0)) + order.shares
            continue
        if order.lot_id:
            if order.lot_id in available:
                available[order.lot_id] = max(available[order.lot_id] - order.shares,
                                              Decimal(0))
            continue
        remaining = order.shares
        for lot in sorted(by_security.get(order.security, ()),
                          key=lambda lot: (-lot.cost_basis / lot.quantity, lot.acquired,
                                           lot.lot_id)):
            taken = min(remaining, available[lot.lot_id])
            available[lot.lot_id] -= taken
            remaining -= taken
            if remaining <= 0:
                break
    return available, pending, with_orders


def formulate(*, snapshot: AccountSnapshot, target: Target, settings: Settings,
              calibration: Calibration, securities: Mapping[str, Security],
              risk: RiskModelSlice, costs: Costs, tax_rates: TaxRates,
              wash_windows: Sequence[WashWindow], open_orders: Sequence[OpenOrder],
              trade_date: date) -> Formulation:
    """The account's `Formulation` on `trade_date`.

    Raises `KeyError` for a held or targeted security missing from `securities` or the risk
    model, and `ValueError` when the account has no value.
    """
    available, pending, with_orders = _net_open_orders(snapshot.lots, open_orders)
    lots = [lot for lot in snapshot.lots if available[lot.lot_id] > 0]
    held_keys = {lot.security for lot in lots} | set(pending)
    target_keys = {key for key, weight in target.weights.items() if weight > 0}
    candidates = held_keys | target_keys
    sets = [equivalence for equivalence in target.equivalence_sets
            if candidates.intersection(equivalence.members)]
    for equivalence in sets:
        candidates.update(member for member in equivalence.members if member in securities)
    keys = tuple(sorted(candidates))
    for key in keys:
        if key not in securities:
            raise KeyError(f"security {key} is not in the security master")
    index = {key: position for position, key in enumerate(keys)}
    infos = [securities[key] for key in keys]
    n = len(keys)
    price = np.array([_money(info.price) for info in infos])

    # Value at today's prices, before netting: open orders move value between cash and
    # positions at the same prices, so netting them leaves it unchanged.
    position_value = sum((lot.quantity * securities[lot.security].price
                          for lot in snapshot.lots), Decimal(0))
    value_dollars = snapshot.cash + position_value
    if value_dollars <= 0:
        raise ValueError(f"account {snapshot.account} has no value to optimize")
    value = float(value_dollars)
    cash_dollars = snapshot.cash
    for lot in snapshot.lots:
        if available[lot.lot_id] != lot.quantity:  # an open sell relieved part of it
            released = lot.quantity - available[lot.lot_id]
            cash_dollars += released * securities[lot.security].price
    for key, shares in pending.items():
        cash_dollars -= shares * securities[key].price

    lot_security = np.array([index[lot.security] for lot in lots], dtype=np.int64)
    lot_shares = np.array([float(available[lot.lot_id]) for lot in lots])
    lot_price = price[lot_security] if lots else np.zeros(0)
    lot_available = lot_shares * lot_price / value
    held = np.bincount(lot_security, lot_available, minlength=n).astype(float)
    for key, shares in pending.items():
        held[index[key]] += float(shares) * price[index[key]] / value

    # Target: excluded classes at zero (the resolved target should already say so), and the
    # invested part scaled down when the cash the client needs exceeds the model's cash.
    excluded = settings.excluded_asset_classes
    weights = np.array([0.0 if info.asset_class in excluded
                        else float(target.weights.get(info.key, 0.0)) for info in infos])
    original_total = sum(float(weight) for key, weight in target.weights.items())
    if weights.sum() > 0 and weights.sum() < original_total:
        weights *= original_total / weights.sum()
    cash_needed = cash_to_hold(settings)
    cash_minimum = min(float(cash_needed) / value, 1.0)
    invested = weights.sum()
    if invested > 0 and 1 - invested < cash_minimum:
        weights *= (1 - cash_minimum) / invested

    classes = tuple(sorted({info.asset_class for info in infos}))
    class_position = {name: position for position, name in enumerate(classes)}
    asset_class = np.array([class_position[info.asset_class] for info in infos],
                           dtype=np.int64)
    class_target = np.bincount(asset_class, weights, minlength=len(classes)).astype(float)
    class_band = np.full(len(classes), calibration.asset_class_band)

    columns = risk.columns(keys)
    specific = risk.specific_variance[columns]
    group = np.arange(n, dtype=np.int64)
    group_names = list(keys)
    set_members: list[tuple[int, ...]] = []
    next_group = n
    for equivalence in sets:
        members = [member for member in equivalence.members if member in index]
        if len(members) < 2 or any(group[index[member]] >= n for member in members):
            continue
        for member in members:
            group[index[member]] = next_group
        group_names.append(equivalence.name)
        primary = max(members, key=lambda member: (weights[index[member]],
                                                   -members.index(member)))
        set_members.append((index[primary], *(index[member] for member in members
                                                 if member != primary)))
        next_group += 1
    # Renumber groups densely: singletons keep their order, sets follow.
    used, group = np.unique(group, return_inverse=True)
    group = group.astype(np.int64)
    group_names_dense = tuple(group_names[position] for position in used)
    group_count = len(used)
    group_target = np.bincount(group, weights, minlength=group_count).astype(float)
    # A set's specific risk is its members' average: substitutes are alike by definition.
    group_variance = (np.bincount(group, specific, minlength=group_count)
                      / np.bincount(group, minlength=group_count))

    trade_cost = np.array([costs.rate(key) for key in keys])
    buy_cost = trade_cost
    sell_cost = trade_cost

    windows = {window.key: window for window in wash_windows}
    block_details: dict[str, str] = {}
    buy_rule: list[str] = []
    for info in infos:
        key = info.key
        window = windows.get(info.wash_key)
        rule = NO_RULE
        if key in settings.do_not_trade:
            rule = Rule.DO_NOT_TRADE
        elif key in settings.do_not_buy:
            rule = Rule.DO_NOT_BUY
        elif key in settings.restricted:
            rule = Rule.RESTRICTED
        elif info.asset_class in excluded:
            rule = Rule.EXCLUDED_ASSET_CLASS
        elif key in with_orders:
            rule = Rule.OPEN_ORDER
        elif window is not None and window.blocks_buy(trade_date):
            rule = Rule.WASH_SALE
            opened = f" opened by {window.opened_by}" if window.opened_by else ""
            block_details[key] = (f"which a wash-sale window{opened} blocks through "
                                  f"{window.buy_blocked_until:%Y-%m-%d}")
        buy_rule.append(rule)
    buy_upper = np.array([0.0 if rule else INFINITY for rule in buy_rule])

    taxable = snapshot.is_taxable
    lot_basis = np.array([float(lot.cost_basis) / float(lot.quantity) for lot in lots])
    lot_gain = (1.0 - lot_basis / lot_price) if lots else np.zeros(0)
    lot_long = np.array([lot.term_on(trade_date) == Term.LONG for lot in lots], dtype=bool)
    lot_rate = np.where(lot_long, tax_rates.long_term, tax_rates.short_term)
    if not taxable:
        lot_rate = np.zeros(len(lots))
    loss_dollars = -lot_gain * lot_shares * lot_price
    scale = np.where(lot_gain >= 0, 1.0,
                     np.where(loss_dollars >= float(calibration.minimum_loss),
                              calibration.loss_scale, 0.0))
    lot_tax = calibration.tau * lot_rate * lot_gain * scale

    sell_rule: list[str] = []
    force_rule: list[str] = []
    notes: list[str] = []
    restricted_policy = settings.restricted_policy
    for position, lot in enumerate(lots):
        info = securities[lot.security]
        window = windows.get(info.wash_key)
        rule = NO_RULE
        if lot.security in settings.do_not_trade:
            rule = Rule.DO_NOT_TRADE
        elif lot.security in settings.do_not_sell:
            rule = Rule.DO_NOT_SELL
        elif lot.security in with_orders:
            rule = Rule.OPEN_ORDER
        elif (taxable and lot_gain[position] < 0 and window is not None
              and window.blocks_loss_sale(lot.lot_id, trade_date)):
            rule = Rule.WASH_SALE
        force = NO_RULE
        if lot.security in settings.restricted and restricted_policy == RestrictedPolicy.SELL_ALL:
            force = Rule.RESTRICTED
        elif info.asset_class in excluded:
            force = Rule.EXCLUDED_ASSET_CLASS
        if force and rule:
            notes.append(_kept_note(info, lot, force, rule, window))
            force = NO_RULE
        sell_rule.append(rule)
        force_rule.append(force)
    sell_upper = np.where([bool(rule) for rule in sell_rule], 0.0, lot_available)
    sell_lower = np.where([bool(rule) for rule in force_rule], lot_available, 0.0)
    if not lots:
        sell_upper = sell_lower = np.zeros(0)

    gain_budget = (float(calibration.gain_budget) / value
                   if calibration.gain_budget is not None else INFINITY)
    turnover_cap = calibration.turnover_cap if calibration.turnover_cap is not None else INFINITY
    loadings = risk.factor_loadings[:, columns]
    wash_keys: dict[str, int] = {}
    wash_group = np.array([wash_keys.setdefault(info.wash_key, len(wash_keys))
                           for info in infos], dtype=np.int64)
    formulation = Formulation(
        trade_date=trade_date, value=value, value_dollars=value_dollars,
        cash_dollars=cash_dollars, keys=keys, prices=tuple(info.price for info in infos),
        symbols=tuple(info.symbol for info in infos), price=price, held=held,
        target=weights, buy_cost=buy_cost, sell_cost=sell_cost, buy_upper=buy_upper,
        buy_rule=tuple(buy_rule), asset_class=asset_class, asset_classes=classes,
        class_target=class_target, class_band=class_band, group=group,
        group_target=group_target, group_variance=group_variance,
        group_names=group_names_dense, set_members=tuple(set_members), wash_group=wash_group,
        loadings=loadings,
        lot_ids=tuple(lot.lot_id for lot in lots), lot_security=lot_security,
        lot_shares=lot_shares, lot_available=lot_available, lot_basis_per_share=lot_basis,
        lot_gain=lot_gain, lot_rate=lot_rate, lot_long=lot_long, lot_tax=lot_tax,
        lot_acquired=tuple(lot.acquired for lot in lots),
        lot_quantity=tuple(available[lot.lot_id] for lot in lots),
        lot_cost_basis=tuple(lot.cost_basis if available[lot.lot_id] == lot.quantity
                             else lot.cost_basis * available[lot.lot_id] / lot.quantity
                             for lot in lots),
        sell_lower=sell_lower,
        sell_upper=sell_upper, sell_rule=tuple(sell_rule), force_rule=tuple(force_rule),
        cash=float(cash_dollars) / value, cash_minimum=cash_minimum, ticket_reserve=0.0,
        gain_budget=gain_budget,
        turnover_cap=turnover_cap, kappa=calibration.kappa, taxable=taxable,
        block_details=block_details, notes=tuple(notes))
    return formulation._preferred(formulation.buy_upper.copy(), list(formulation.buy_rule))


def cash_to_hold(settings: Settings) -> Decimal:
    """The cash the account must hold after trading: the reserve plus what is to be raised."""
    return max(settings.cash_to_keep, Decimal(0)) + max(settings.cash_to_raise, Decimal(0))


# Why a buy is blocked, as a clause after the security's symbol ("instead of IVV, which …").
BUY_BLOCK_CLAUSES: dict[str, str] = {
    Rule.DO_NOT_TRADE: "which is on the do-not-trade list",
    Rule.DO_NOT_BUY: "which is on the do-not-buy list",
    Rule.RESTRICTED: "which is restricted",
    Rule.EXCLUDED_ASSET_CLASS: "whose asset class is excluded",
    Rule.OPEN_ORDER: "which has an order still open from an earlier day",
    Rule.WASH_SALE: "which a wash-sale window blocks",
    Rule.OWN_LOSS_SALE: "which was sold tonight at a loss",
    Rule.MINIMUM_TRADE: "whose trade would be below the minimum trade size",
    Rule.COST_BENEFIT: "whose trade would not be worth its cost",
    Rule.NOT_PREFERRED: "whose equivalence set prefers another member",
}

RULE_WORDS: dict[str, str] = {
    Rule.DO_NOT_TRADE: "it is on the do-not-trade list",
    Rule.DO_NOT_BUY: "it is on the do-not-buy list",
    Rule.DO_NOT_SELL: "it is on the do-not-sell list",
    Rule.RESTRICTED: "it is restricted",
    Rule.EXCLUDED_ASSET_CLASS: "its asset class is excluded",
    Rule.OPEN_ORDER: "an earlier order for it is still open",
    Rule.WASH_SALE: "a wash-sale window is open",
    Rule.OWN_LOSS_SALE: "buying it back would wash tonight's loss sale",
    Rule.OWN_PURCHASE: "tonight's purchase would wash a loss sale",
    Rule.MINIMUM_TRADE: "the trade was below the minimum trade size",
    Rule.COST_BENEFIT: "the trade's benefit did not cover its cost",
    Rule.NOT_PREFERRED: "another member of its equivalence set is preferred",
}


def _kept_note(info: Security, lot: Lot, force: str, rule: str,
               window: WashWindow | None) -> str:
    why = RULE_WORDS[rule]
    if rule == Rule.WASH_SALE and window is not None:
        until = window.loss_sale_blocked_until_for(lot.lot_id)
        why = f"selling it at a loss would be a wash sale (window through {until:%Y-%m-%d})"
    wanted = ("it is restricted" if force == Rule.RESTRICTED
              else f"{info.asset_class} is excluded")
    return (f"Kept {lot.quantity.normalize():f} {info.symbol} from the "
            f"{lot.acquired:%Y-%m-%d} lot although {wanted}: {why}.")
