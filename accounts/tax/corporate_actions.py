"""Corporate actions on tax lots: the lots each holder should have after an action.

Pure: dataclasses in, dataclasses out, money as exact `Decimal`, share ratios as exact
`Fraction` (a 1-for-3 distribution is not a finite decimal). The accounts app loads the lots,
calls `apply_action` and compares the result with the custodian's next snapshot.

What each action does to a holder's lots (FEEDS.md `corporate_actions`; DESIGN.md §10):
- split, reverse split, stock dividend: each lot's quantity is multiplied by the ratio; its
  basis and holding period stay. A stock dividend's `ratio_to` counts the *additional* shares
  per `ratio_from` held (a 5% dividend is 5 per 100); a split's counts the shares after (4 per 1).
- spin-off: the old lots keep their shares and `100 − basis_allocation_pct` percent of their
  basis; each gets a lot of the new security (shares × ratio) with the rest of the basis and
  the old lot's acquisition date and holding period (IRC §358(b), §1223(1)).
- stock merger (a reorganization unless `tax_treatment` is taxable): lots convert to the new
  security at the ratio, basis and holding period carried over.
- cash merger: a sale that closes the lots at `cash_per_share`.
- cash-and-stock merger, reorganization (IRC §356, §358): per lot, the gain realized (cash +
  value of the new shares − basis) is recognized up to the cash received and a loss is not
  recognized; the new basis is old basis − cash + gain recognized. Taxable: a sale of the old
  lots for the cash and the new shares at their value, which then open new lots at that value.
- ticker, CUSIP and name changes: the lots stay as they are (under the new security key when
  the caller gives one); a delisting changes the security's status and realizes nothing.

Fractional new shares are computed per account position (all of the holder's lots of the
security together), not per lot. With cash in lieu, the fraction is sold at
`cash_in_lieu_price` per whole new share: every lot gives up the same share of itself (the
fraction over the position's new shares), so each piece keeps its own holding period, and the
gain or loss on the fraction is realized. Money is split to the cent with the remainder on the
last part.

Invariant, exact to the cent, for every action and holder (`HolderOutcome`):
    basis before + basis of lots bought at value == basis after + basis relieved by cash.
Only taxable exchanges buy lots at value; for everything else the basis before equals the
basis of the resulting lots plus the basis relieved by cash.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

from accounts.tax.realized import CENT, SHARE, ZERO, Lot, RealizedLot

SHARE_DENOMINATOR = 1_000_000  # SHARE is a millionth


class ActionType(StrEnum):
    """The `type` column of the corporate_actions feed."""

    SPLIT = "split"
    REVERSE_SPLIT = "reverse_split"
    STOCK_DIVIDEND = "stock_dividend"
    SPINOFF = "spinoff"
    STOCK_MERGER = "stock_merger"
    CASH_MERGER = "cash_merger"
    CASH_STOCK_MERGER = "cash_stock_merger"
    TICKER_CHANGE = "ticker_change"
    CUSIP_CHANGE = "cusip_change"
    NAME_CHANGE = "name_change"
    DELISTING = "delisting"


class TaxTreatment(StrEnum):
    REORGANIZATION = "reorganization"
    TAXABLE = "taxable"


# Actions that multiply the holder's shares of the same security.
SHARE_CHANGES = frozenset({ActionType.SPLIT, ActionType.REVERSE_SPLIT, ActionType.STOCK_DIVIDEND})
# Actions that replace the old security by a new one in the holder's account.
MERGERS = frozenset({ActionType.STOCK_MERGER, ActionType.CASH_MERGER,
                     ActionType.CASH_STOCK_MERGER})
# Actions that change how a security is called, not what anyone holds.
RENAMES = frozenset({ActionType.TICKER_CHANGE, ActionType.CUSIP_CHANGE, ActionType.NAME_CHANGE})
# Actions whose new shares are a different security from the old one.
NEW_SECURITY = frozenset({ActionType.SPINOFF, ActionType.STOCK_MERGER,
                          ActionType.CASH_STOCK_MERGER})


class IncompleteActionError(ValueError):
    """The action lacks a term it needs (a ratio, a price): it waits for a corrected file."""


@dataclass(frozen=True)
class CorporateActionTerms:
    """One action as the feed describes it; securities are whatever key the caller uses.

    `basis_allocation_pct` is the percentage (0–100) of the old basis moving to the new security.
    `new_share_value` is the value of one new share on the effective date, needed where a gain
    is measured against it (a taxable exchange, a reorganization with cash).
    """

    action_id: str
    type: ActionType
    effective_date: date
    old_security: str
    new_security: str | None = None
    ratio_from: Decimal | None = None
    ratio_to: Decimal | None = None
    cash_per_share: Decimal | None = None
    basis_allocation_pct: Decimal | None = None
    cash_in_lieu: bool = False
    cash_in_lieu_price: Decimal | None = None
    new_share_value: Decimal | None = None
    tax_treatment: TaxTreatment = TaxTreatment.REORGANIZATION

    @property
    def taxable(self) -> bool:
        return self.tax_treatment == TaxTreatment.TAXABLE

    @cached_property
    def share_ratio(self) -> Fraction:
        """Shares of the resulting security held per old share (1 when the action has none)."""
        if self.ratio_from is None or self.ratio_to is None:
            return Fraction(1)
        ratio = Fraction(self.ratio_to) / Fraction(self.ratio_from)
        return 1 + ratio if self.type == ActionType.STOCK_DIVIDEND else ratio

    @property
    def price_factor(self) -> Fraction:
        """What a price of the old security is multiplied by to compare with one after the
        ex-date (a 4-for-1 split: 1/4). Only share changes of the same security have one."""
        return 1 / self.share_ratio if self.type in SHARE_CHANGES else Fraction(1)

    def missing_terms(self) -> list[str]:
        """What this action needs and lacks, in plain English; empty when it can be applied."""
        missing = []
        needs_ratio = self.type in SHARE_CHANGES | NEW_SECURITY
        if needs_ratio and (self.ratio_from is None or self.ratio_to is None):
            missing.append("ratio_from and ratio_to")
        if self.type in NEW_SECURITY and not self.new_security:
            missing.append("the new security (new_cusip or new_ticker)")
        if self.type == ActionType.SPINOFF and self.basis_allocation_pct is None:
            missing.append("basis_allocation_pct")
        if self.type in {ActionType.CASH_MERGER, ActionType.CASH_STOCK_MERGER} and (
                self.cash_per_share is None):
            missing.append("cash_per_share")
        if self.cash_in_lieu and self.cash_in_lieu_price is None and (
                self.type in SHARE_CHANGES | NEW_SECURITY):
            missing.append("cash_in_lieu_price")
        needs_value = (self.type == ActionType.CASH_STOCK_MERGER
                       or (self.type == ActionType.STOCK_MERGER and self.taxable))
        if needs_value and self.new_share_value is None:
            missing.append("the value of a new share on the effective date (new_share_value)")
        return missing


@dataclass(frozen=True)
class CashPayment:
    """Cash a holder receives from the action: in lieu of a fraction, or merger consideration."""

    account: str
    security: str
    kind: str  # "cash_in_lieu" or "merger_cash"
    amount: Decimal


@dataclass(frozen=True)
class HolderOutcome:
    """One holder's lots of the securities an action touches, before and after it.

    `realized` holds the pieces sold for cash (cash in lieu, cash mergers, the cash of a
    reorganization: there `proceeds` is the cash and `cost_basis` the basis it recovered, so
    `gain` is the gain recognized) and, in a taxable exchange, the old lots sold for value.
    `basis_bought` is the basis of the new shares a taxable exchange bought at value (before any
    fraction of them was sold for cash).
    """

    action_id: str
    account: str
    lots_before: tuple[Lot, ...]
    lots_after: tuple[Lot, ...]
    realized: tuple[RealizedLot, ...] = ()
    cash: tuple[CashPayment, ...] = ()
    basis_bought: Decimal = ZERO

    @property
    def basis_before(self) -> Decimal:
        return sum((lot.cost_basis for lot in self.lots_before), ZERO)

    @property
    def basis_after(self) -> Decimal:
        return sum((lot.cost_basis for lot in self.lots_after), ZERO)

    @property
    def basis_relieved(self) -> Decimal:
        return sum((piece.cost_basis for piece in self.realized), ZERO)

    @property
    def cash_received(self) -> Decimal:
        return sum((payment.amount for payment in self.cash), ZERO)

    @property
    def gain_realized(self) -> Decimal:
        return sum((piece.gain for piece in self.realized), ZERO)

    def balances(self) -> bool:
        """The invariant of the module docstring, exactly."""
        return (self.basis_before + self.basis_bought
                == self.basis_after + self.basis_relieved)


def round_to(amount: Fraction, quantum: Decimal = CENT) -> Decimal:
    """Round an exact amount to `quantum`, halves away from zero."""
    steps = abs(amount) / Fraction(quantum)
    whole = math.floor(steps + Fraction(1, 2))
    return (Decimal(whole) * quantum * (1 if amount >= 0 else -1)).quantize(quantum)


def split_amount(total: Decimal, weights: Sequence[Fraction], quantum: Decimal = CENT,
                 ) -> list[Decimal]:
    """Split `total` in proportion to exact `weights`, each part rounded to `quantum`.

    The parts add up to `total` exactly: each is the difference of rounded running totals, so
    the last part takes the remainder.
    """
    whole = sum(weights, Fraction(0))
    if whole <= 0:
        raise ValueError("weights must add up to more than zero")
    parts, running, allocated = [], Fraction(0), ZERO
    for index, weight in enumerate(weights):
        running += weight
        cumulative = total if index == len(weights) - 1 else round_to(
            Fraction(total) * running / whole, quantum)
        parts.append(cumulative - allocated)
        allocated = cumulative
    return parts


@dataclass
class _NewLot:
    """A lot of the resulting security with its exact share count, before fractions settle."""

    lot: Lot  # quantity not yet meaningful
    quantity: Fraction
    bought_at_value: bool = False


@dataclass
class _Holder:
    account: str
    before: list[Lot]
    kept: list[Lot] = field(default_factory=list)  # lots of the old security that stay
    new: list[_NewLot] = field(default_factory=list)
    realized: list[RealizedLot] = field(default_factory=list)
    cash: list[CashPayment] = field(default_factory=list)


def _sale(terms: CorporateActionTerms, lot: Lot, *, quantity: Decimal, proceeds: Decimal,
          cost_basis: Decimal, adjustment: Decimal = ZERO) -> RealizedLot:
    return RealizedLot(sale_transaction_id=terms.action_id, account=lot.account,
                       security=lot.security, lot_id=lot.lot_id,
                       acquired_date=lot.acquired_date,
                       holding_period_start=lot.holding_period_start,
                       sold_date=terms.effective_date, quantity=quantity, proceeds=proceeds,
                       cost_basis=cost_basis, wash_sale_adjustment=adjustment)


def _converted(terms: CorporateActionTerms, lot: Lot, security: str, *, basis: Decimal,
               adjustment: Decimal, lot_id: str | None = None) -> _NewLot:
    """The lot's shares converted at the ratio, holding period carried over."""
    quantity = Fraction(lot.quantity) * terms.share_ratio
    return _NewLot(replace(lot, security=security, lot_id=lot_id or lot.lot_id,
                           quantity=ZERO, cost_basis=basis, wash_sale_adjustment=adjustment),
                   quantity)


def _share_change(terms: CorporateActionTerms, holder: _Holder) -> None:
    for lot in holder.before:
        holder.new.append(_converted(terms, lot, lot.security, basis=lot.cost_basis,
                                     adjustment=lot.wash_sale_adjustment))


def _spinoff(terms: CorporateActionTerms, holder: _Holder) -> None:
    assert terms.basis_allocation_pct is not None and terms.new_security is not None
    moving = Fraction(terms.basis_allocation_pct) / 100
    weights = [1 - moving, moving]  # the remainder falls on the new security's part
    for lot in holder.before:
        keep, move = split_amount(lot.cost_basis, weights)
        keep_adj, move_adj = split_amount(lot.wash_sale_adjustment, weights)
        holder.kept.append(replace(lot, cost_basis=keep, wash_sale_adjustment=keep_adj))
        holder.new.append(_converted(terms, lot, terms.new_security, basis=move,
                                     adjustment=move_adj, lot_id=f"{lot.lot_id}-{terms.action_id}"))


def _cash_shares(terms: CorporateActionTerms, holder: _Holder) -> list[Decimal]:
    """The merger cash per lot: the position's total to the cent, split by shares."""
    assert terms.cash_per_share is not None
    quantities = [Fraction(lot.quantity) for lot in holder.before]
    total = round_to(sum(quantities, Fraction(0)) * Fraction(terms.cash_per_share))
    if total:
        holder.cash.append(CashPayment(holder.account, terms.old_security, "merger_cash", total))
    return split_amount(total, quantities) if sum(quantities) else [ZERO for _ in quantities]


def _cash_merger(terms: CorporateActionTerms, holder: _Holder) -> None:
    for lot, cash in zip(holder.before, _cash_shares(terms, holder), strict=True):
        holder.realized.append(_sale(terms, lot, quantity=lot.quantity, proceeds=cash,
                                     cost_basis=lot.cost_basis,
                                     adjustment=lot.wash_sale_adjustment))


def _value_of(terms: CorporateActionTerms, lot: Lot) -> Decimal:
    assert terms.new_share_value is not None
    return round_to(Fraction(lot.quantity) * terms.share_ratio * Fraction(terms.new_share_value))


def _taxable_exchange(terms: CorporateActionTerms, holder: _Holder, cash: list[Decimal]) -> None:
    """A sale of each old lot for its cash and new shares at value; the shares open new lots
    bought at that value on the effective date."""
    assert terms.new_security is not None
    for lot, lot_cash in zip(holder.before, cash, strict=True):
        value = _value_of(terms, lot)
        holder.realized.append(_sale(terms, lot, quantity=lot.quantity, proceeds=lot_cash + value,
                                     cost_basis=lot.cost_basis,
                                     adjustment=lot.wash_sale_adjustment))
        new = _converted(terms, lot, terms.new_security, basis=value, adjustment=ZERO)
        new.lot = replace(new.lot, acquired_date=terms.effective_date, holding_period_start=None)
        new.bought_at_value = True
        holder.new.append(new)


def _stock_merger(terms: CorporateActionTerms, holder: _Holder) -> None:
    assert terms.new_security is not None
    if terms.taxable:
        _taxable_exchange(terms, holder, [ZERO for _ in holder.before])
        return
    for lot in holder.before:
        holder.new.append(_converted(terms, lot, terms.new_security, basis=lot.cost_basis,
                                     adjustment=lot.wash_sale_adjustment))


def _cash_stock_merger(terms: CorporateActionTerms, holder: _Holder) -> None:
    assert terms.new_security is not None
    cash = _cash_shares(terms, holder)
    if terms.taxable:
        _taxable_exchange(terms, holder, cash)
        return
    for lot, lot_cash in zip(holder.before, cash, strict=True):
        realized_gain = _value_of(terms, lot) + lot_cash - lot.cost_basis
        recognized = min(max(realized_gain, ZERO), lot_cash)  # IRC §356(a): boot, no loss
        recovered = lot_cash - recognized  # the basis the cash takes out of the lot
        new_basis = lot.cost_basis - recovered  # IRC §358: old − cash + gain recognized
        if lot_cash:
            holder.realized.append(_sale(terms, lot, quantity=ZERO, proceeds=lot_cash,
                                         cost_basis=recovered))
        holder.new.append(_converted(terms, lot, terms.new_security, basis=new_basis,
                                     adjustment=lot.wash_sale_adjustment))


def _settle_fractions(terms: CorporateActionTerms, holder: _Holder) -> list[Lot]:
    """Give the new lots share counts the feed can carry and pay any fraction in cash."""
    lots: list[Lot] = []
    by_security: dict[str, list[_NewLot]] = defaultdict(list)
    for new in holder.new:
        by_security[new.lot.security].append(new)
    for security, position in by_security.items():
        exact = sum((new.quantity for new in position), Fraction(0))
        # With cash in lieu the position keeps whole shares; otherwise fractional shares stay,
        # to the feed's six decimals.
        step = Fraction(1) if terms.cash_in_lieu else Fraction(SHARE)
        whole = Decimal(math.floor(exact / step)) * Decimal(step.numerator) / step.denominator
        fraction = exact - Fraction(whole)
        weights = [new.quantity for new in position]
        if not fraction and all(SHARE_DENOMINATOR % q.denominator == 0 for q in weights):
            # Every lot's new share count is exact at six decimals (an integer split): as is.
            quantities = [(Decimal(q.numerator) / q.denominator).quantize(SHARE)
                          for q in weights]
        else:
            quantities = (split_amount(whole.quantize(SHARE), weights, SHARE) if exact
                          else [ZERO for _ in position])
        paid = fraction > 0 and terms.cash_in_lieu
        if paid:
            assert terms.cash_in_lieu_price is not None
            cash = round_to(fraction * Fraction(terms.cash_in_lieu_price))
            holder.cash.append(CashPayment(holder.account, security, "cash_in_lieu", cash))
            proceeds = split_amount(cash, weights)
            sold = split_amount(round_to(fraction, SHARE), weights, SHARE)
        for index, (new, quantity) in enumerate(zip(position, quantities, strict=True)):
            basis, adjustment = new.lot.cost_basis, new.lot.wash_sale_adjustment
            if paid:
                keep, relieved = split_amount(basis, [Fraction(whole), fraction])
                keep_adj, relieved_adj = split_amount(adjustment, [Fraction(whole), fraction])
                holder.realized.append(_sale(
                    terms, replace(new.lot, quantity=ZERO), quantity=sold[index],
                    proceeds=proceeds[index], cost_basis=relieved, adjustment=relieved_adj))
                basis, adjustment = keep, keep_adj
            if quantity or basis:
                lots.append(replace(new.lot, quantity=quantity, cost_basis=basis,
                                    wash_sale_adjustment=adjustment))
    return lots


_APPLY = {
    ActionType.SPLIT: _share_change,
    ActionType.REVERSE_SPLIT: _share_change,
    ActionType.STOCK_DIVIDEND: _share_change,
    ActionType.SPINOFF: _spinoff,
    ActionType.STOCK_MERGER: _stock_merger,
    ActionType.CASH_MERGER: _cash_merger,
    ActionType.CASH_STOCK_MERGER: _cash_stock_merger,
}


def _apply_to_holder(terms: CorporateActionTerms, account: str, lots: list[Lot]
                     ) -> HolderOutcome:
    holder = _Holder(account=account, before=lots)
    apply = _APPLY.get(terms.type)
    if apply is None:  # renames and delistings: the lots stay, under the new key if any
        security = (terms.new_security if terms.type in RENAMES and terms.new_security
                    else terms.old_security)
        after = tuple(replace(lot, security=security) for lot in lots)
        return HolderOutcome(terms.action_id, account, tuple(lots), after)
    apply(terms, holder)
    new_lots = _settle_fractions(terms, holder)
    bought = sum((new.lot.cost_basis for new in holder.new if new.bought_at_value), ZERO)
    return HolderOutcome(terms.action_id, account, tuple(lots),
                         tuple(holder.kept) + tuple(new_lots), tuple(holder.realized),
                         tuple(holder.cash), bought)


def apply_action(terms: CorporateActionTerms, lots: Iterable[Lot]) -> tuple[HolderOutcome, ...]:
    """The outcome of `terms` for every account holding the old security among `lots`.

    Lots of other securities are ignored. Raises `IncompleteActionError` naming what is missing
    when the action cannot be applied as given.
    """
    missing = terms.missing_terms()
    if missing:
        raise IncompleteActionError(f"{terms.action_id} ({terms.type}) lacks " +
                                    ", ".join(missing))
    by_account: dict[str, list[Lot]] = defaultdict(list)
    for lot in lots:
        if lot.security == terms.old_security:
            by_account[lot.account].append(lot)
    outcomes = []
    for account, held in sorted(by_account.items()):
        held.sort(key=lambda lot: (lot.acquired_date, lot.lot_id))
        outcomes.append(_apply_to_holder(terms, account, held))
    return tuple(outcomes)
