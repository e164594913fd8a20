"""Reasons for every trade, from the solution: its share of the objective and binding rows.

For each security traded, the evidence is
- its share of the objective in dollars (`postprocess.Scores`): the tracking benefit priced at
  the account's κ, the τ-weighted tax effect, the trading cost;
- for a sale that realizes a loss, the tracking effect of the swap it is part of (the sale
  with the buys of its equivalence set, or else of its asset class, that replace it): a loss
  sold and replaced by a substitute moves tracking error hardly at all, so when the tax
  benefit outweighs the swap's tracking effect, the tax benefit is what the sale is for;
- the constraints that bind at the solution (non-zero duals): its lots' forced bounds
  (restricted, excluded), the cash row, the gain-budget row, the turnover row, its asset
  class's band row, and the blocked buy rows of its substitutes (a blocked security whose
  block binds is one the optimizer would have bought).

The codes are ordered, main purpose first, and the sentence is assembled from them ("Sold 120
XOM from the 2019-03-04 lot to harvest a $1,240 long-term loss; bought 40 CVX to keep Energy
on target."). Change a binding constraint and the codes change with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from optimizer.core.formulation import BUY_BLOCK_CLAUSES, HARD_RULES, Formulation, Rule
from optimizer.core.inputs import BoolArray, FloatArray, IntArray, Settings, Side, TaxRates, Term
from optimizer.core.outputs import LotRelief, ProposedTrade, ReasonCode
from optimizer.core.postprocess import DUAL_TOLERANCE, TINY, Scores, Shares
from optimizer.core.problem import rows_of
from optimizer.core.solution import Solution

CENT = Decimal("0.01")
ZERO = Decimal(0)


def cents(amount: float | Decimal) -> Decimal:
    """Dollars to the cent, halves away from zero."""
    if isinstance(amount, Decimal):
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal(f"{amount:.2f}")


def share_count(shares: float, exact: Decimal | None = None) -> Decimal:
    """Shares as Decimal: the lot's exact quantity for a whole-lot sale, else six places."""
    if exact is not None:
        return exact
    whole = round(shares)
    if abs(shares - whole) < 1e-9:
        return Decimal(whole)
    return Decimal(f"{shares:.6f}").normalize()


def _dollars(amount: Decimal | float) -> str:
    return f"${abs(float(amount)):,.0f}"


def _shares_text(shares: Decimal) -> str:
    return f"{int(shares):,}" if shares == shares.to_integral_value() else f"{shares.normalize():f}"


def _lots_text(reliefs: tuple[LotRelief, ...]) -> str:
    dates = sorted({relief.acquired for relief in reliefs})
    if len(dates) == 1:
        return f"from the {dates[0].isoformat()} lot" + ("s" if len(reliefs) > 1 else "")
    if len(dates) <= 3:
        listed = [day.isoformat() for day in dates]
        return f"from the {', '.join(listed[:-1])} and {listed[-1]} lots"
    return (f"from {len(reliefs)} lots acquired {dates[0].isoformat()} to "
            f"{dates[-1].isoformat()}")


def _term_text(reliefs: tuple[LotRelief, ...], sign: int) -> str:
    terms = {relief.term for relief in reliefs if relief.gain * sign > 0}
    if terms == {Term.LONG}:
        return "long-term "
    if terms == {Term.SHORT}:
        return "short-term "
    return "short- and long-term "


@dataclass(frozen=True, eq=False)
class _Evidence:
    """What binds at the solution, computed once per account."""

    cash_short: bool
    cash_spare: bool
    gain_binding: bool
    turnover_binding: bool
    band_binding: BoolArray  # per asset class
    wanted_blocked: BoolArray  # per security: blocked by a rule, and the block binds
    buy_duals: FloatArray
    not_own_loss_sale: BoolArray  # per security: not blocked for a same-night loss sale


def _evidence(f: Formulation, solution: Solution) -> _Evidence:
    rows = rows_of(f)
    duals = solution.duals
    cash_binding = bool(duals[rows.cash] > DUAL_TOLERANCE)
    buy_duals = duals[rows.buys]
    hard = np.array([bool(rule) and rule in HARD_RULES for rule in f.buy_rule], dtype=bool)
    return _Evidence(
        cash_short=cash_binding and f.cash_minimum > f.cash + TINY,
        cash_spare=cash_binding and f.cash > f.cash_minimum + TINY,
        gain_binding=bool(duals[rows.gain] > DUAL_TOLERANCE),
        turnover_binding=bool(duals[rows.turnover] > DUAL_TOLERANCE),
        band_binding=np.abs(duals[rows.bands]) > DUAL_TOLERANCE,
        wanted_blocked=hard & (buy_duals > DUAL_TOLERANCE),
        buy_duals=buy_duals,
        not_own_loss_sale=np.array([rule != Rule.OWN_LOSS_SALE for rule in f.buy_rule],
                                   dtype=bool))


def _swap_tracking(f: Formulation, weights: FloatArray, candidates: IntArray,
                   bought: FloatArray, sold: FloatArray) -> FloatArray:
    """κ·ΔTE² (fraction of value), per candidate sale, of undoing it together with the buys
    that replace it: those of its equivalence set, or if there are none, of its asset class,
    scaled to the sale's size. Vectorized over the candidates: per partner set (a group or a
    class) its buys' factor loadings and specific sums are added up once.

    For a sale c of size d with partners P bought b_P, scaled α = min(1, d / Σb_P), the change
    is Δ = −d·e_c + α·b_P and the result κ·(−2·Δᵀ Σ (w − w*) + Δᵀ Σ Δ).
    """
    if not candidates.size:
        return np.zeros(0)
    active = weights - f.target
    groups, classes = len(f.group_target), len(f.asset_classes)
    grouped_active = np.bincount(f.group, active, minlength=groups)
    factor_active = f.loadings @ active
    weighted = f.loadings * bought  # k × n: each buy's factor loadings
    group_loadings = np.stack([np.bincount(f.group, row, minlength=groups) for row in weighted])
    class_loadings = np.stack([np.bincount(f.asset_class, row, minlength=classes)
                               for row in weighted])
    group_bought = np.bincount(f.group, bought, minlength=groups)
    class_bought = np.bincount(f.asset_class, bought, minlength=classes)
    # Per class, over its buys' groups: Σ δ²·(w − w*)_g·b_g and Σ δ²·b_g².
    pair = f.asset_class * groups + f.group
    pair_bought = np.bincount(pair, bought, minlength=classes * groups)
    pair_group = np.arange(classes * groups) % groups
    pair_class = np.arange(classes * groups) // groups
    class_cross = np.bincount(pair_class, f.group_variance[pair_group]
                              * grouped_active[pair_group] * pair_bought, minlength=classes)
    class_own = np.bincount(pair_class, f.group_variance[pair_group] * pair_bought**2,
                            minlength=classes)

    group = f.group[candidates]
    klass = f.asset_class[candidates]
    size = sold[candidates]
    by_group = group_bought[group] > 0
    partners = np.where(by_group, group_bought[group], class_bought[klass])
    scale = np.where(partners > 0, np.minimum(1.0, size / np.where(partners > 0, partners, 1)),
                     0.0)
    replacement = np.where(by_group, group_loadings[:, group], class_loadings[:, klass])
    factor_delta = -f.loadings[:, candidates] * size + replacement * scale
    variance = f.group_variance[group]
    # Same group: one specific term for the sale and its replacements together.
    same_group_delta = -size + scale * group_bought[group]
    specific_cross = np.where(
        by_group, variance * grouped_active[group] * same_group_delta,
        -size * variance * grouped_active[group] + scale * class_cross[klass])
    specific_own = np.where(by_group, variance * same_group_delta**2,
                            variance * size**2 + scale**2 * class_own[klass])
    cross = factor_active @ factor_delta + specific_cross
    own = np.einsum("kc,kc->c", factor_delta, factor_delta) + specific_own
    return np.asarray(f.kappa * (-2 * cross + own))


def _best_blocked(keys: IntArray, wanted: BoolArray, duals: FloatArray) -> dict[int, int]:
    """For each value of `keys` (a group or asset class per security), the wanted blocked
    security with the largest dual."""
    best: dict[int, int] = {}
    candidates = np.flatnonzero(wanted)
    for security in candidates[np.argsort(-duals[candidates], kind="stable")]:
        best.setdefault(int(keys[security]), int(security))
    return best


def _substitutes(f: Formulation, evidence: _Evidence, buying: IntArray) -> dict[int, int]:
    """For each buy, the blocked security it stands in for, if any: a more preferred member of
    its equivalence set that a rule blocks; else one in its equivalence set whose block binds
    (any rule, a same-night loss sale included); else one in its asset class whose block binds
    (a rule of the account, not a same-night loss sale: those are the harvest's replacements,
    said on the sale) — the largest dual first."""
    by_group = _best_blocked(f.group, evidence.wanted_blocked, evidence.buy_duals)
    by_class = _best_blocked(f.asset_class, evidence.wanted_blocked
                             & evidence.not_own_loss_sale, evidence.buy_duals)
    # In an equivalence set the buy goes to the most preferred member no rule blocks, so a
    # rule on a more preferred member is what sent it here (its dual is zero: substitutes are
    # perfect, the block costs nothing — but it decided which member is bought).
    preferred_blocked: dict[int, int] = {}
    for members in f.set_members:
        for position, member in enumerate(members):
            if f.buy_rule[member] in HARD_RULES:
                continue
            blocked_before = [earlier for earlier in members[:position]
                              if f.buy_rule[earlier] in HARD_RULES]
            if blocked_before:
                preferred_blocked[member] = blocked_before[0]
            break
    found: dict[int, int] = {}
    for security in map(int, buying):
        for best in (preferred_blocked.get(security), by_group.get(int(f.group[security])),
                     by_class.get(int(f.asset_class[security]))):
            if best is not None and best != security:
                found[security] = best
                break
    return found


def _instead_of(f: Formulation, substitute: int) -> str:
    symbol = f.symbols[substitute]
    rule = f.buy_rule[substitute]
    if rule == Rule.OWN_LOSS_SALE:
        return f"instead of buying back {symbol}, sold tonight at a loss,"
    clause = f.block_details.get(f.keys[substitute], BUY_BLOCK_CLAUSES[rule])
    return f"instead of {symbol}, {clause},"


def _reliefs(f: Formulation, sell: list[float], lot_shares: list[float], long: list[bool],
             security: int, lots: list[int]) -> tuple[LotRelief, ...]:
    """The lot instructions of one sale; `sell`, `lot_shares`, `long` are per-lot lists."""
    price = f.prices[security]
    reliefs = []
    for lot in lots:
        whole = abs(sell[lot] - lot_shares[lot]) < 1e-9
        count = f.lot_quantity[lot] if whole else share_count(sell[lot])
        proceeds = cents(count * price)
        basis = (cents(f.lot_cost_basis[lot]) if whole
                 else cents(f.lot_cost_basis[lot] * count / f.lot_quantity[lot]))
        reliefs.append(LotRelief(lot_id=f.lot_ids[lot], acquired=f.lot_acquired[lot],
                                 term=Term.LONG if long[lot] else Term.SHORT,
                                 shares=count, proceeds=proceeds, cost_basis=basis,
                                 gain=proceeds - basis))
    return tuple(reliefs)


def explain(f: Formulation, solution: Solution, shares: Shares, buy_scores: Scores,
            sell_scores: Scores, *, settings: Settings, tax_rates: TaxRates,
            ) -> tuple[ProposedTrade, ...]:
    """The proposed trades with their reasons and sentences: sells, then buys, each in
    security order."""
    evidence = _evidence(f, solution)
    lot_price = f.price[f.lot_security]
    bought = shares.buy * f.price / f.value
    sold_lots = shares.sell * lot_price / f.value
    sold = f.sold(sold_lots)
    weights = f.held + bought - sold
    buy_rank, sell_rank = buy_scores.score, sell_scores.score
    rates = {Term.LONG: Decimal(str(tax_rates.long_term)),
             Term.SHORT: Decimal(str(tax_rates.short_term))}
    selling = np.flatnonzero(sold > 0)
    buying = np.flatnonzero(shares.buy > 0)
    # Lots in the order they are relieved: the optimizer's preference (least tax first), then
    # highest cost first, so the lot instructions read in the order the choice was made.
    priority = f.lot_priority
    lots_of: dict[int, list[int]] = {}
    for lot in priority[shares.sell[priority] > 0].tolist():
        lots_of.setdefault(int(f.lot_security[lot]), []).append(lot)

    # Sales that realize a net loss with a tax benefit: harvests when the benefit outweighs
    # what the sale, with its replacements, does to tracking.
    realized_float = np.bincount(f.lot_security, shares.sell * (lot_price - f.lot_basis_per_share),
                                 minlength=f.n)
    candidates = selling[(realized_float[selling] < 0) & (sell_scores.tax_effect[selling] < 0)] \
        if f.taxable else selling[:0]
    swap = _swap_tracking(f, weights, candidates, bought, sold) * f.value
    harvest = set(candidates[-sell_scores.tax_effect[candidates] >= swap].tolist())
    sell_codes: dict[int, list[ReasonCode]] = {}
    sell_reliefs: dict[int, tuple[LotRelief, ...]] = {}
    sell_realized: dict[int, Decimal] = {}
    harvested: list[int] = []
    forced = f.forced
    sell_list, lot_shares_list, long_list = (shares.sell.tolist(), f.lot_shares.tolist(),
                                             f.lot_long.tolist())
    for security in map(int, selling):
        lots = lots_of[security]
        reliefs = _reliefs(f, sell_list, lot_shares_list, long_list, security, lots)
        sell_reliefs[security] = reliefs
        realized = sum((relief.gain for relief in reliefs), ZERO) if f.taxable else ZERO
        sell_realized[security] = realized
        codes: list[ReasonCode] = []
        forced_rules = {f.force_rule[lot] for lot in lots if forced[lot]}
        if Rule.RESTRICTED in forced_rules:
            codes.append(ReasonCode.RESTRICTED)
        if Rule.EXCLUDED_ASSET_CLASS in forced_rules:
            codes.append(ReasonCode.EXCLUDED_ASSET_CLASS)
        if evidence.cash_short:
            codes.append(ReasonCode.RAISE_CASH)
        if security in harvest and realized < 0:
            codes.append(ReasonCode.HARVEST_LOSS)
            harvested.append(security)
        if evidence.band_binding[f.asset_class[security]]:
            codes.append(ReasonCode.ASSET_CLASS_BAND)
        if not codes:  # no rule, cash need, harvest or band: tracking is the reason
            codes.append(ReasonCode.TRACK_TARGET)
        if realized > 0:
            codes.append(ReasonCode.REALIZES_GAIN)
        if evidence.gain_binding:
            codes.append(ReasonCode.GAIN_BUDGET)
        if evidence.turnover_binding:
            codes.append(ReasonCode.TURNOVER_CAP)
        sell_codes[security] = codes

    harvested_by_group: dict[int, set[str]] = {}
    harvested_by_class: dict[int, set[str]] = {}
    for security in harvested:
        harvested_by_group.setdefault(int(f.group[security]), set()).add(f.symbols[security])
        harvested_by_class.setdefault(int(f.asset_class[security]), set()).add(
            f.symbols[security])
    substitutes = _substitutes(f, evidence, buying)
    # Per-security lists: the loop below runs once per buy, often hundreds of times, and
    # Python lists index an order of magnitude faster than numpy arrays.
    group_of, class_of = f.group.tolist(), f.asset_class.tolist()
    band_binding = evidence.band_binding.tolist()
    buy_shares = shares.buy.tolist()
    buy_costs = buy_scores.trading_cost.tolist()
    buy_benefits = buy_scores.tracking_benefit.tolist()
    buy_ranks = buy_rank.tolist()
    tail = ((", investing spare cash" if evidence.cash_spare else "")
            + ("; the turnover cap limits further trading" if evidence.turnover_binding
               else "") + ".")
    common = ([ReasonCode.INVEST_CASH] if evidence.cash_spare else []) + (
        [ReasonCode.TURNOVER_CAP] if evidence.turnover_binding else [])
    # What a plain buy is for depends only on its class (and whether its band binds).
    purposes = [f"to bring {name} back within its band" if band_binding[position]
                else f"to keep {name} on target"
                for position, name in enumerate(f.asset_classes)]
    main_code = [ReasonCode.ASSET_CLASS_BAND if binding else ReasonCode.TRACK_TARGET
                 for binding in band_binding]
    keys, symbols, prices, classes = f.keys, f.symbols, f.prices, f.asset_classes
    empty: set[str] = set()
    buy_trades: dict[int, ProposedTrade] = {}
    for security in buying.tolist():
        klass = class_of[security]
        substitute = substitutes.get(security)
        codes = [ReasonCode.SUBSTITUTE, main_code[klass]] if substitute is not None \
            else [main_code[klass]]
        replaces = (harvested_by_group.get(group_of[security], empty)
                    | harvested_by_class.get(klass, empty))
        if replaces:
            codes.append(ReasonCode.REPLACE_HARVESTED)
        codes.extend(common)
        count = share_count(buy_shares[security])
        symbol = symbols[security]
        sentence = f"Bought {_shares_text(count)} {symbol} {purposes[klass]}" \
            if substitute is None else \
            f"Bought {_shares_text(count)} {symbol} {_instead_of(f, substitute)} {purposes[klass]}"
        if replaces and not (substitute is not None
                             and f.buy_rule[substitute] == Rule.OWN_LOSS_SALE):
            names = sorted(replaces)
            sentence += (f" after harvesting the {' and '.join(names)} loss"
                         + ("es" if len(names) > 1 else ""))
        price = prices[security]
        rank = buy_ranks[security]
        buy_trades[security] = ProposedTrade(
            security=keys[security], symbol=symbol, asset_class=classes[klass],
            side=Side.BUY, shares=count, price=price, value=cents(count * price), lots=(),
            realized_gain=ZERO, estimated_tax=ZERO, trading_cost=cents(buy_costs[security]),
            tracking_benefit=cents(buy_benefits[security]), tax_effect=ZERO,
            cost_benefit_score=rank if rank != np.inf else None, reasons=tuple(codes),
            explanation=sentence + tail)

    # The buy a harvest sentence names: the largest in the sale's equivalence set, else in
    # its asset class (keyed −1 − class so the two kinds of key never collide).
    replacement: dict[int, int] = {}
    for security in sorted(buy_trades, key=lambda other: -float(bought[other])):
        replacement.setdefault(group_of[security], security)
        replacement.setdefault(-1 - class_of[security], security)
    trades: list[ProposedTrade] = []
    held_shares = f.held_shares.tolist()
    sell_costs = sell_scores.trading_cost.tolist()
    sell_benefits = sell_scores.tracking_benefit.tolist()
    sell_taxes = sell_scores.tax_effect.tolist()
    sell_ranks = sell_rank.tolist()
    for security, codes in sell_codes.items():
        reliefs = sell_reliefs[security]
        count = sum((relief.shares for relief in reliefs), ZERO)
        realized = sell_realized[security]
        tax = (sum((relief.gain * rates[relief.term] for relief in reliefs), ZERO)
               if f.taxable else ZERO)
        klass = class_of[security]
        all_shares = abs(float(count) - held_shares[security]) < 1e-9
        sentence = _sell_sentence(symbols[security], classes[klass], count, all_shares, reliefs,
                                  realized, codes, settings)
        if ReasonCode.HARVEST_LOSS in codes:
            partner = replacement.get(group_of[security], replacement.get(-1 - klass))
            if partner is not None:
                buy = buy_trades[partner]
                sentence += (f"; bought {_shares_text(buy.shares)} {buy.symbol} "
                             f"{purposes[class_of[partner]]}")
        price = prices[security]
        rank = sell_ranks[security]
        trades.append(ProposedTrade(
            security=keys[security], symbol=symbols[security], asset_class=classes[klass],
            side=Side.SELL, shares=count, price=price, value=cents(count * price),
            lots=reliefs, realized_gain=realized, estimated_tax=cents(tax),
            trading_cost=cents(sell_costs[security]),
            tracking_benefit=cents(sell_benefits[security]),
            tax_effect=cents(sell_taxes[security]),
            cost_benefit_score=rank if rank != np.inf else None, reasons=tuple(codes),
            explanation=sentence + "."))
    trades.extend(buy_trades.values())
    return tuple(trades)


def _sell_sentence(symbol: str, asset_class: str, count: Decimal, all_shares: bool,
                   reliefs: tuple[LotRelief, ...], realized: Decimal, codes: list[ReasonCode],
                   settings: Settings) -> str:
    amount = f"all {_shares_text(count)}" if all_shares else _shares_text(count)
    purposes: list[str] = []
    if ReasonCode.RESTRICTED in codes:
        purposes.append(f"because {symbol} is restricted")
    if ReasonCode.EXCLUDED_ASSET_CLASS in codes:
        purposes.append(f"because {asset_class} is excluded")
    if ReasonCode.RAISE_CASH in codes:
        requested = settings.cash_to_raise
        purposes.append(f"to raise the {_dollars(requested)} of cash requested" if requested > 0
                        else "to restore the cash reserve")
    if ReasonCode.HARVEST_LOSS in codes:
        purposes.append(f"to harvest a {_dollars(realized)} {_term_text(reliefs, -1)}loss")
    if ReasonCode.ASSET_CLASS_BAND in codes:
        purposes.append(f"to bring {asset_class} back within its band")
    if ReasonCode.TRACK_TARGET in codes:
        purposes.append(f"to keep {asset_class} on target")
    sentence = f"Sold {amount} {symbol} {_lots_text(reliefs)} {' and '.join(purposes)}"
    if ReasonCode.REALIZES_GAIN in codes:
        sentence += f", realizing a {_dollars(realized)} {_term_text(reliefs, 1)}gain"
    elif realized < 0 and ReasonCode.HARVEST_LOSS not in codes:
        sentence += f", realizing a {_dollars(realized)} {_term_text(reliefs, -1)}loss"
    if ReasonCode.GAIN_BUDGET in codes:
        sentence += ("; the annual gain budget limits how much more can be sold" if realized > 0
                     else "; its loss makes room in the annual gain budget")
    if ReasonCode.TURNOVER_CAP in codes:
        sentence += "; the turnover cap limits further trading"
    return sentence
