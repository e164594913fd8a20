"""From the solver's fractions to actionable trades: shares, lots, and every rule re-checked.

Steps, in order:
1. clean: bounds enforced exactly (a blocked variable is zero, a forced lot is sold whole),
   values below `TINY` (ten cents on a million) set to zero;
2. no buy and sell of the same security: the smaller side is netted out of the larger;
3. lot choice: the optimizer's lots; where it was indifferent (lots with the same tax
   coefficient: the same basis, or no tax at all), the highest-cost lots first;
4. rounding: whole shares unless fractional shares are allowed; a sale of all but half a share
   of a lot sells the whole lot;
5. scoring each trade (cost/benefit, see `score`) and listing the ones to drop — below the
   minimum trade or the firm's cost/benefit threshold, never a forced sale or a trade a binding
   cash or band row needs — so that the account is re-solved without them; what the re-solve
   leaves below the bars is dropped without another re-solve (`without`);
6. repair after rounding: gain budget, turnover cap, then cash, each by whole shares off the
   least valuable trades; `violations` then re-checks every hard constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.core.calibration import Calibration
from optimizer.core.formulation import Formulation, Rule
from optimizer.core.inputs import BoolArray, FloatArray
from optimizer.core.problem import rows_of
from optimizer.core.solution import Solution

TINY = 1e-7  # fraction of account value: $0.10 on $1,000,000
DUAL_TOLERANCE = 1e-7  # a row whose dual is below this does not bind
MONEY_TOLERANCE = 0.01  # dollars: what "met" means when a constraint is checked in money
SHARE_DECIMALS = 6  # fractional shares are carried to six places, as the feeds do


@dataclass(frozen=True, eq=False)
class Shares:
    """Trades in shares: `buy` per security, `sell` per lot (floats, whole unless fractional)."""

    buy: FloatArray
    sell: FloatArray


@dataclass(frozen=True, eq=False)
class Scores:
    """Each security's trade (its buy, or its lots' sales) priced in dollars.

    `tracking_benefit` = κ·(TE² without the trade − TE² with it)·value; `tax_effect` is the
    objective's τ-weighted tax (negative: a benefit); `trading_cost` includes the ticket.
    """

    tracking_benefit: FloatArray
    tax_effect: FloatArray
    trading_cost: FloatArray

    @property
    def benefit(self) -> FloatArray:
        return self.tracking_benefit + np.maximum(-self.tax_effect, 0.0)

    @property
    def cost(self) -> FloatArray:
        return self.trading_cost + np.maximum(self.tax_effect, 0.0)

    @property
    def score(self) -> FloatArray:
        cost = self.cost
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cost > 1e-12, self.benefit / np.where(cost > 1e-12, cost, 1.0),
                            np.inf)


def _net_same_security(f: Formulation, s: FloatArray, b: FloatArray) -> None:
    """Net a buy and sales of one security in place: the smaller side comes off the larger,
    sales taken back from the least preferred lots first."""
    sold = f.sold(s)
    order = f.lot_priority[::-1]  # least preferred first
    for security in np.flatnonzero((b > 0) & (sold > 0)):
        if b[security] >= sold[security]:
            b[security] -= sold[security]
            s[f.lot_security == security] = 0.0
            continue
        remaining = b[security]
        b[security] = 0.0
        for lot in order[f.lot_security[order] == security]:
            taken = min(remaining, s[lot])
            s[lot] -= taken
            remaining -= taken
            if remaining <= 0:
                break


def _highest_cost_first(f: Formulation, s: FloatArray) -> FloatArray:
    """Where the optimizer was indifferent between lots of a security (equal tax
    coefficients), the same total sold from the highest-cost lots first. Forced lots are
    sold whole and left alone.

    Vectorized over tie groups: in `lot_priority` order each group is contiguous and already
    highest-cost first, so lot j of a group gets min(upper_j, total − Σ upper before j).
    """
    order = f.lot_priority
    if order.size < 2:
        return s
    security = f.lot_security[order]
    coefficient = np.round(f.lot_tax[order], 12)
    forced = f.forced[order]
    # In a taxable account a loss lot never stands in for a gain lot (nor the reverse), even
    # at equal coefficients (τ = 0): the loss sale could wash against a buy of its group.
    at_loss = (f.lot_gain[order] < 0) & f.taxable
    starts = np.concatenate([[True], (security[1:] != security[:-1])
                             | (coefficient[1:] != coefficient[:-1])
                             | (at_loss[1:] != at_loss[:-1])
                             | forced[1:] | forced[:-1]])
    group = np.cumsum(starts) - 1
    sold = s[order]
    upper = f.sell_upper[order]
    totals = np.bincount(group, sold)
    filled_before = np.cumsum(upper) - upper
    filled_before -= filled_before[np.flatnonzero(starts)][group]
    chosen = np.clip(totals[group] - filled_before, 0.0, upper)
    result = s.copy()
    result[order] = np.where(forced, sold, chosen)
    return result


def to_shares(f: Formulation, solution: Solution, *, fractional: bool) -> Shares:
    """Steps 1–4: the solution as shares to trade."""
    s = np.clip(solution.s, f.sell_lower, f.sell_upper)
    forced = f.forced
    s[forced] = f.lot_available[forced]
    s[(s < TINY) & ~forced] = 0.0
    b = np.maximum(f.buys(s, solution.z), 0.0)
    b[f.buy_upper == 0] = 0.0
    b[b < TINY] = 0.0
    _net_same_security(f, s, b)
    s = _highest_cost_first(f, s)
    lot_price = f.price[f.lot_security]
    sell = s * f.value / lot_price
    buy = b * f.value / f.price
    # Round the way the binding rows allow: everything down when the turnover cap binds;
    # when the gain budget binds, gains down and losses up (a loss rounded down would raise
    # the net gain); sales up when the account is short of cash and the cash row binds; buys
    # down whenever cash or a limit binds; otherwise to the nearest share.
    rows = rows_of(f)
    duals = solution.duals
    turnover_binding = bool(duals[rows.turnover] > DUAL_TOLERANCE)
    gain_binding = bool(duals[rows.gain] > DUAL_TOLERANCE)
    limit_binding = turnover_binding or gain_binding
    cash_binding = bool(duals[rows.cash] > DUAL_TOLERANCE)
    cash_short = cash_binding and f.cash_minimum > f.cash + TINY
    unit = 10.0**-SHARE_DECIMALS if fractional else 1.0
    nearest = np.round if fractional else (lambda x: np.floor(x + 0.5))
    down = np.floor(sell / unit + 1e-9) * unit
    up = np.ceil(sell / unit - 1e-9) * unit
    if turnover_binding:
        sell_shares, whole_lot = down, sell >= f.lot_shares - 1e-9
    elif gain_binding:
        sell_shares = np.where(f.lot_gain < 0, up, down)
        whole_lot = sell >= f.lot_shares - np.where(f.lot_gain < 0, unit, 1e-9)
    else:
        sell_shares = up if cash_short else nearest(sell / unit) * unit
        whole_lot = sell >= f.lot_shares - 0.5 * unit
    whole_lot &= sell > 0  # a lot of less than a share is not sold whole for nothing
    sell = np.where(whole_lot, f.lot_shares, np.minimum(sell_shares, f.lot_shares))
    buy = (np.floor(buy / unit + 1e-9) if cash_binding or limit_binding
           else nearest(buy / unit)) * unit
    if fractional:
        buy, sell = np.round(buy, SHARE_DECIMALS), np.round(sell, SHARE_DECIMALS)
        sell = np.where(whole_lot, f.lot_shares, np.minimum(sell, f.lot_shares))
    sell = np.where(forced, f.lot_shares, np.where(sell > 0, sell, 0.0))
    return Shares(buy=buy, sell=sell)


def weights_after(f: Formulation, shares: Shares) -> FloatArray:
    lot_price = f.price[f.lot_security]
    return (f.held + shares.buy * f.price / f.value
            - np.bincount(f.lot_security, shares.sell * lot_price / f.value, minlength=f.n))


def score(f: Formulation, shares: Shares, *, ticket: float) -> tuple[Scores, Scores]:
    """(buy scores, sell scores) per security, in dollars, at the post-trade weights.

    A trade's tracking benefit is what removing it alone (the others kept) would cost in
    tracking: κ·(TE²(w − Δ) − TE²(w)) = κ·(−2Δ·Σ(w − w*) + Δ²Σ_ii) for Δ its weight change.
    """
    weights = weights_after(f, shares)
    gradient = f.tracking_gradient(weights)
    own = f.own_variance()
    lot_price = f.price[f.lot_security]
    bought = shares.buy * f.price / f.value
    sold_lots = shares.sell * lot_price / f.value
    sold = np.bincount(f.lot_security, sold_lots, minlength=f.n)
    value = f.value
    tickets_buy = np.where(bought > 0, ticket, 0.0)
    tickets_sell = np.where(sold > 0, ticket, 0.0)
    buys = Scores(
        tracking_benefit=f.kappa * (-2 * bought * gradient + bought**2 * own) * value,
        tax_effect=np.zeros(f.n),
        trading_cost=f.buy_cost * bought * value + tickets_buy)
    sells = Scores(
        tracking_benefit=f.kappa * (2 * sold * gradient + sold**2 * own) * value,
        tax_effect=np.asarray(np.bincount(f.lot_security, f.lot_tax * sold_lots, minlength=f.n),
                              dtype=np.float64) * value,
        trading_cost=f.sell_cost * sold * value + tickets_sell)
    return buys, sells


@dataclass(frozen=True, eq=False)
class Drops:
    """Trades to drop before re-solving, per security and side, by why: below the minimum
    trade, or scoring below the cost/benefit threshold."""

    buy_minimum: BoolArray
    buy_cost_benefit: BoolArray
    sell_minimum: BoolArray
    sell_cost_benefit: BoolArray

    @property
    def buy(self) -> BoolArray:
        return self.buy_minimum | self.buy_cost_benefit

    @property
    def sell(self) -> BoolArray:
        return self.sell_minimum | self.sell_cost_benefit

    @property
    def any(self) -> bool:
        return bool(self.buy.any() or self.sell.any())


def required(f: Formulation, solution: Solution) -> tuple[BoolArray, BoolArray]:
    """(buys, sells) per security that a binding constraint needs, never dropped for their
    cost/benefit score: sales while the account is short of cash and the cash row binds;
    sales of loss lots while the gain budget binds (their losses make room for gains that
    must be realized); trades of a class whose band row binds; forced sales."""
    rows = rows_of(f)
    band_binding = np.abs(solution.duals[rows.bands]) > DUAL_TOLERANCE
    in_binding_class = band_binding[f.asset_class]
    cash_short = (solution.duals[rows.cash] > DUAL_TOLERANCE
                  and f.cash_minimum > f.cash + TINY)
    forced_security = np.bincount(f.lot_security, f.forced.astype(float), minlength=f.n) > 0
    offsetting = np.zeros(f.n, dtype=bool)
    if solution.duals[rows.gain] > DUAL_TOLERANCE:
        offsetting = np.bincount(f.lot_security, ((solution.s > TINY) & (f.lot_gain < 0))
                                 .astype(float), minlength=f.n) > 0
    sells = in_binding_class | forced_security | offsetting | cash_short
    return in_binding_class, sells


def unactionable(f: Formulation, solution: Solution, shares: Shares,
                 calibration: Calibration, *, ticket: float) -> Drops:
    """Step 5: trades below the minimum trade size or the cost/benefit threshold."""
    buy_scores, sell_scores = score(f, shares, ticket=ticket)
    lot_price = f.price[f.lot_security]
    buy_value = shares.buy * f.price
    sell_value = np.bincount(f.lot_security, shares.sell * lot_price, minlength=f.n)
    needed_buy, needed_sell = required(f, solution)
    forced_security = np.bincount(f.lot_security, f.forced.astype(float), minlength=f.n) > 0
    minimum = float(calibration.minimum_trade)
    threshold = calibration.cost_benefit_threshold
    buying, selling = buy_value > 0, (sell_value > 0) & ~forced_security
    small_buy, small_sell = buying & (buy_value < minimum), selling & (sell_value < minimum)
    return Drops(
        buy_minimum=small_buy,
        buy_cost_benefit=buying & ~small_buy & ~needed_buy & (buy_scores.score < threshold),
        sell_minimum=small_sell,
        sell_cost_benefit=selling & ~small_sell & ~needed_sell
        & (sell_scores.score < threshold))


def apply_drops(f: Formulation, drops: Drops) -> Formulation:
    """`f` with the dropped trades blocked, each by its rule."""
    for rule, buys, sells in ((Rule.MINIMUM_TRADE, drops.buy_minimum, drops.sell_minimum),
                              (Rule.COST_BENEFIT, drops.buy_cost_benefit,
                               drops.sell_cost_benefit)):
        if buys.any():
            f = f.block_buys(buys, rule)
        if sells.any():
            f = f.block_sales(sells[f.lot_security], rule)
    return f


def without(f: Formulation, shares: Shares, drops: Drops) -> Shares:
    """`shares` with the dropped trades taken out (the last round's drops are not re-solved:
    `repair` then restores anything the removal upset, such as cash)."""
    buy = np.where(drops.buy, 0.0, shares.buy)
    sell = np.where(drops.sell[f.lot_security], 0.0, shares.sell)
    return Shares(buy=buy, sell=sell)


# --- repair and re-check after rounding -----------------------------------------------------


def _step(shares: float, fractional: bool) -> float:
    """Shares to move for a dollar amount's worth, rounded away from zero to a tradable unit."""
    return (math.ceil(shares * 10**SHARE_DECIMALS) / 10**SHARE_DECIMALS if fractional
            else float(math.ceil(shares - 1e-9)))


def cash_after(f: Formulation, shares: Shares, *, ticket: float) -> float:
    """Dollars of cash after the trades (costs and tickets paid), open orders netted."""
    lot_price = f.price[f.lot_security]
    proceeds = shares.sell * lot_price
    spent = shares.buy * f.price
    sold_value = np.bincount(f.lot_security, proceeds, minlength=f.n)
    tickets = ticket * (np.count_nonzero(spent) + np.count_nonzero(sold_value))
    return float(f.cash * f.value + (proceeds * (1 - f.sell_cost[f.lot_security])).sum()
                 - (spent * (1 + f.buy_cost)).sum() - tickets)


def realized_gain(f: Formulation, shares: Shares) -> float:
    """Net dollars of gain the sales realize (losses negative)."""
    lot_price = f.price[f.lot_security]
    return float((shares.sell * (lot_price - f.lot_basis_per_share)).sum())


def turnover(f: Formulation, shares: Shares) -> float:
    """(buys + sells) / 2 as a fraction of account value."""
    lot_price = f.price[f.lot_security]
    traded = (shares.buy * f.price).sum() + (shares.sell * lot_price).sum()
    return float(traded / 2 / f.value)


def repair(f: Formulation, shares: Shares, *, ticket: float, fractional: bool,
           minimum_trade: float, buy_rank: FloatArray) -> Shares:
    """Step 6: bring the rounded trades back inside the gain budget, the turnover cap and the
    cash target, by whole shares off the least valuable trades; drop buys that fell below the
    minimum trade on the way. `buy_rank` orders buys (lowest first gives up shares first)."""
    buy, sell = shares.buy.copy(), shares.sell.copy()
    lot_price = f.price[f.lot_security]
    free = ~f.forced
    gain_per_share = lot_price - f.lot_basis_per_share

    if np.isfinite(f.gain_budget):
        excess = realized_gain(f, Shares(buy, sell)) - f.gain_budget * f.value
        for lot in np.argsort(-gain_per_share):
            if excess <= MONEY_TOLERANCE:
                break
            if gain_per_share[lot] <= 0 or sell[lot] <= 0 or not free[lot]:
                continue
            cut = min(sell[lot], _step(excess / gain_per_share[lot], fractional))
            sell[lot] -= cut
            excess -= cut * gain_per_share[lot]
        # Then more of the loss lots already being sold (a forced gain cannot be cut).
        for lot in np.argsort(gain_per_share):
            if excess <= MONEY_TOLERANCE or gain_per_share[lot] >= 0:
                break
            room = f.lot_shares[lot] - sell[lot]
            if sell[lot] <= 0 or room <= 0 or f.sell_upper[lot] <= 0:
                continue
            add = min(room, _step(excess / -gain_per_share[lot], fractional))
            sell[lot] += add
            excess += add * gain_per_share[lot]

    if np.isfinite(f.turnover_cap):
        excess = (turnover(f, Shares(buy, sell)) - f.turnover_cap) * 2 * f.value
        for security in np.argsort(-buy * f.price):
            if excess <= MONEY_TOLERANCE or buy[security] <= 0:
                break
            cut = min(buy[security], _step(excess / f.price[security], fractional))
            buy[security] -= cut
            excess -= cut * f.price[security]
        # Then sales, the least preferred lots first, as far as cash allows.
        room = cash_after(f, Shares(buy, sell), ticket=ticket) - f.cash_minimum * f.value
        for lot in f.lot_priority[::-1]:
            if excess <= MONEY_TOLERANCE:
                break
            if sell[lot] <= 0 or not free[lot]:
                continue
            unit = lot_price[lot] * (1 - f.sell_cost[f.lot_security[lot]])
            cut = min(sell[lot], _step(excess / lot_price[lot], fractional),
                      math.floor(max(room, 0.0) / unit) if not fractional else room / unit)
            if cut <= 0:
                continue
            sell[lot] -= cut
            excess -= cut * lot_price[lot]
            room -= cut * unit

    short = f.cash_minimum * f.value - cash_after(f, Shares(buy, sell), ticket=ticket)
    if short > MONEY_TOLERANCE:
        for security in np.argsort(buy_rank, kind="stable"):
            if short <= MONEY_TOLERANCE:
                break
            if buy[security] <= 0:
                continue
            unit = f.price[security] * (1 + f.buy_cost[security])
            cut = min(buy[security], _step(short / unit, fractional))
            buy[security] -= cut
            short -= cut * unit + (ticket if buy[security] == 0 else 0.0)
    if short > MONEY_TOLERANCE:
        # Rounding sold a little too little: sell a little more, from the lots already being
        # sold first, then any the rules allow, the least taxed first.
        by_tax = f.lot_priority[np.argsort(f.lot_tax[f.lot_priority], kind="stable")]
        for lot in np.concatenate([by_tax[sell[by_tax] > 0], by_tax[sell[by_tax] <= 0]]):
            if short <= MONEY_TOLERANCE:
                break
            room = f.lot_shares[lot] - sell[lot]
            security = f.lot_security[lot]
            washes = f.taxable and f.lot_gain[lot] < 0 and bool(
                (buy[f.wash_group == f.wash_group[security]] > 0).any())
            if (not free[lot] or room <= 0 or f.sell_upper[lot] <= 0 or buy[security] > 0
                    or washes):
                continue
            first_sale = not (sell[f.lot_security == security] > 0).any()
            unit = lot_price[lot] * (1 - f.sell_cost[security])
            add = min(room, _step((short + (ticket if first_sale else 0.0)) / unit,
                                  fractional))
            sell[lot] += add
            short -= add * unit - (ticket if first_sale else 0.0)

    small = (buy > 0) & (buy * f.price < minimum_trade)
    buy[small] = 0.0
    return Shares(buy=buy, sell=sell)


def violations(f: Formulation, shares: Shares, *, ticket: float, fractional: bool,
               minimum_trade: float) -> list[str]:
    """Every hard constraint, checked on the final shares; empty when all hold."""
    problems: list[str] = []
    sold = np.bincount(f.lot_security, shares.sell, minlength=f.n)
    if (shares.sell < -1e-9).any() or (shares.sell > f.lot_shares + 1e-9).any():
        problems.append("a sale is negative or larger than its lot")
    if (shares.buy < -1e-9).any():
        problems.append("a buy is negative")
    blocked_buys = (f.buy_upper == 0) & (shares.buy > 0)
    if blocked_buys.any():
        problems.append(f"blocked buys: {[f.symbols[i] for i in np.flatnonzero(blocked_buys)]}")
    blocked_sales = (f.sell_upper == 0) & (shares.sell > 0)
    if blocked_sales.any():
        problems.append(f"blocked sales: {[f.lot_ids[i] for i in np.flatnonzero(blocked_sales)]}")
    unsold = f.forced & (np.abs(shares.sell - f.lot_shares) > 1e-9)
    if unsold.any():
        problems.append(f"forced sales not made: {[f.lot_ids[i] for i in np.flatnonzero(unsold)]}")
    both = (shares.buy > 0) & (sold > 0)
    if both.any():
        problems.append(f"bought and sold: {[f.symbols[i] for i in np.flatnonzero(both)]}")
    if f.taxable:
        loss_groups = set(f.wash_group[f.lot_security[(shares.sell > 0) & (f.lot_gain < 0)]])
        bought_groups = set(f.wash_group[shares.buy > 0])
        if loss_groups & bought_groups:
            problems.append("a loss sale and a buy of substantially identical securities")
    if not fractional:
        partial = (shares.sell != f.lot_shares) & (shares.sell != np.round(shares.sell))
        if partial.any() or (shares.buy != np.round(shares.buy)).any():
            problems.append("fractional shares where only whole shares are allowed")
    cash = cash_after(f, shares, ticket=ticket)
    if cash < f.cash_minimum * f.value - MONEY_TOLERANCE:
        problems.append(f"cash after trading ${cash:,.2f} is below the target "
                        f"${f.cash_minimum * f.value:,.2f}")
    if np.isfinite(f.gain_budget):
        gain = realized_gain(f, shares)
        if gain > f.gain_budget * f.value + MONEY_TOLERANCE:
            problems.append(f"realized gain ${gain:,.2f} exceeds the budget")
    if np.isfinite(f.turnover_cap):
        excess = (turnover(f, shares) - f.turnover_cap) * f.value
        if excess > MONEY_TOLERANCE:
            problems.append("turnover exceeds the cap")
    small_buys = (shares.buy > 0) & (shares.buy * f.price < minimum_trade - MONEY_TOLERANCE)
    if small_buys.any():
        problems.append("a buy below the minimum trade")
    return problems
