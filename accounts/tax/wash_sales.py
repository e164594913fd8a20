"""Wash sales across a tax entity: IRS Publication 550, "Wash Sales", and Rev. Rul. 2008-5.

A loss on a sale in a taxable account is disallowed when the same tax entity (the taxpayer, their
spouse, corporations they control; it spans accounts) acquires the same or a substantially
identical security within 30 days before or after the sale date, a 61-day window. Purchases and
dividend reinvestments count, in any of the entity's accounts, retirement accounts included.

What the engine does, and the reading of the rules it rests on:
- Only losses realized in taxable accounts are tested: inside an IRA or a Roth IRA there is no
  capital loss to disallow. Gains are never wash sales.
- Replacement shares are matched "in the same order that you bought them, beginning with the
  first shares bought"; one replacement share absorbs one sold share's loss, so consumption is
  tracked across every loss sale of the entity, taken in the order they were sold.
- Fewer shares bought than sold: only the loss on that many shares is disallowed, in proportion.
- The lot being sold is never its own replacement, and neither are shares sold in the same sale.
  A replacement bought before the loss sale must still be held right after it (the basis has to
  land on shares that exist); one bought after it counts even if sold again later, and then the
  adjustment travels into that later sale.
- Taxable replacement: the disallowed loss is added to the replacement shares' basis and the
  sold shares' holding period to theirs (their `holding_period_start` moves that many days before
  their acquisition date). Replacement in a tax-advantaged account of the entity: the loss is
  disallowed and NOT added to that account's basis (Rev. Rul. 2008-5 for IRAs and Roth IRAs,
  applied here to every tax-deferred or tax-exempt account): it is lost for good, recorded with
  `permanently_disallowed`.
- When shares of a replacement lot are later sold, they take their adjustments with them pro rata
  (shares of one lot are alike to the custodian), so a chain of wash sales is followed through.
- The custodian is the book of record and may already have adjusted a lot for a wash sale it saw
  (`wash_sale_adjustment` in the tax_lots feed). The engine's result is an overlay keyed by
  (account, lot_id) that never edits the lot, and only what the custodian did not already apply
  is applied: `basis_overlay_to_apply` is computed minus already applied, never negative; a
  carried holding period is never carried twice (the earlier of the two starts stands).

Partially replaced lots are split: the shares that absorbed a loss carry a different basis per
share and holding period from the rest of their lot, so `apply_overlay` returns one
`AdjustedLot` per part (part 0 is the unadjusted rest). Parts share the custodian's `lot_id`, so
a sell instruction for the lot still names the lot the custodian knows.

The engine sees only the transactions it is given: pass each entity's acquisitions from at least
30 days before the first sale to be tested, and the sales themselves as realized lots (see
`realized.realize`). Corporate actions between a replacement purchase and now are assumed
already reflected in the custodian lot the overlay lands on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from accounts.tax.holding_period import Term, days_held, long_term_from, term
from accounts.tax.realized import (
    SHARE,
    ZERO,
    Lot,
    RealizedLot,
    Transaction,
    allocate,
    effective_transactions,
    to_cents,
)

WINDOW_DAYS = 30  # days before and after the sale: a 61-day window with the sale day


class TaxStatus(StrEnum):
    """The `tax_status` column of the accounts feed."""

    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


@dataclass(frozen=True)
class AccountTaxProfile:
    """Whose account it is for wash sales (`tax_entity`) and how it is taxed."""

    account: str
    tax_entity: str
    tax_status: TaxStatus

    @property
    def is_taxable(self) -> bool:
        return self.tax_status == TaxStatus.TAXABLE


@dataclass(frozen=True)
class WashSaleAdjustment:
    """Shares of one replacement lot that absorbed part of one loss sale's loss.

    Invariants: `disallowed_loss > 0`; `basis_adjustment == disallowed_loss` and
    `holding_period_days` is the sold shares' holding period for a taxable replacement;
    `basis_adjustment == 0`, `holding_period_days == 0` and `permanently_disallowed` for a
    replacement in a tax-advantaged account. The adjustments of one loss sale never cover more
    shares than were sold, nor those of one replacement lot more shares than were bought.
    """

    loss_sale_transaction_id: str
    loss_sale_account: str
    loss_sale_lot_id: str
    loss_sale_date: date
    replacement_account: str
    replacement_lot_id: str
    replacement_transaction_id: str
    replacement_date: date
    shares: Decimal
    disallowed_loss: Decimal
    basis_adjustment: Decimal
    holding_period_days: int
    permanently_disallowed: bool


@dataclass(frozen=True)
class AdjustedRealizedLot:
    """A realized lot (or a part of one) after the wash-sale rules.

    `cost_basis` includes `wash_basis_adjustment`, the disallowed losses of earlier sales these
    shares had absorbed as replacements (only what the custodian had not already put in the
    basis). `disallowed_loss` is the part of this sale's loss the rules disallow, on
    `washed_quantity` of its shares. `recognized_gain` is what the tax return shows:
    `gain + disallowed_loss`, never below `gain`, never above zero for a loss.
    """

    sale_transaction_id: str
    account: str
    security: str
    lot_id: str
    part: int
    acquired_date: date
    holding_period_start: date | None
    sold_date: date
    quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    wash_basis_adjustment: Decimal = ZERO
    washed_quantity: Decimal = ZERO
    disallowed_loss: Decimal = ZERO

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost_basis

    @property
    def recognized_gain(self) -> Decimal:
        return self.gain + self.disallowed_loss

    @property
    def term(self) -> Term:
        return term(self.acquired_date, self.sold_date, self.holding_period_start)


@dataclass(frozen=True)
class OverlayPart:
    """Shares of an open lot that carry a wash-sale basis adjustment and holding period."""

    quantity: Decimal
    basis_adjustment: Decimal
    holding_period_days: int
    holding_period_start: date


@dataclass(frozen=True)
class LotOverlay:
    """The engine's wash-sale adjustments on one open lot, keyed by (account, lot_id).

    `quantity` is the shares the engine believes the lot still holds; `parts` are the ones that
    absorbed losses (the rest of the lot is unadjusted). The amounts are the engine's full
    computation: what the custodian already applied is subtracted in `apply_overlay`.
    """

    account: str
    lot_id: str
    quantity: Decimal
    parts: tuple[OverlayPart, ...]

    @property
    def basis_adjustment(self) -> Decimal:
        return sum((part.basis_adjustment for part in self.parts), ZERO)


@dataclass(frozen=True)
class AdjustedLot:
    """An open lot, or a part of one, with the wash-sale overlay applied.

    `overlay_basis_adjustment` is what the overlay added beyond the custodian's `cost_basis`
    for these shares. Invariant: over the parts of one lot, quantities add up to the custodian's
    quantity and `cost_basis` adds up to the custodian's basis plus `basis_overlay_to_apply`.
    """

    account: str
    lot_id: str
    part: int
    security: str
    quantity: Decimal
    cost_basis: Decimal
    acquired_date: date
    holding_period_start: date | None
    overlay_basis_adjustment: Decimal = ZERO

    @property
    def long_term_from(self) -> date:
        return long_term_from(self.acquired_date, self.holding_period_start)


@dataclass(frozen=True)
class WashSaleAnalysis:
    """What `find_wash_sales` returns: the ledger entries, the realized lots after the rules,
    and the overlay for the lots still open."""

    adjustments: tuple[WashSaleAdjustment, ...]
    realized: tuple[AdjustedRealizedLot, ...]
    overlays: tuple[LotOverlay, ...]

    @property
    def permanently_disallowed_loss(self) -> Decimal:
        return sum((adjustment.disallowed_loss for adjustment in self.adjustments
                    if adjustment.permanently_disallowed), ZERO)


@dataclass(frozen=True)
class RecentPurchase:
    """A purchase within the last 30 days whose shares could still wash a loss sale."""

    account: str
    lot_id: str
    trade_date: date
    unmatched_quantity: Decimal

    @property
    def blocks_loss_sales_until(self) -> date:
        return self.trade_date + timedelta(days=WINDOW_DAYS)


@dataclass(frozen=True)
class WashSaleWindow:
    """For one identical group (or a security in none): until when the optimizer must not buy,
    and until when it must not sell at a loss in a taxable account, both dates inclusive.

    `buy_blocked_until` is the latest loss sale date + 30 among the entity's loss sales whose
    loss is not yet fully washed: a buy on or before it, in any of the entity's accounts,
    would wash it. `loss_sale_blocked_until` is the latest purchase date + 30 among purchases
    with shares not yet used as replacements; a lot is never washed by its own purchase, so use
    `loss_sale_blocked_until_for` to ask about a given lot.
    """

    key: str
    buy_blocked_until: date | None
    loss_sale_blocked_until: date | None
    recent_purchases: tuple[RecentPurchase, ...] = ()

    def loss_sale_blocked_until_for(self, *, account: str, lot_id: str) -> date | None:
        """Until when a loss sale of this lot would be washed by a purchase of another lot."""
        dates = [purchase.blocks_loss_sales_until for purchase in self.recent_purchases
                 if (purchase.account, purchase.lot_id) != (account, lot_id)]
        return max(dates, default=None)


def identical_key(security: str, identical_groups: Mapping[str, str]) -> str:
    """The key under which substantially identical securities meet: the security's identical
    group from the security master, or the security itself when it is in none."""
    return identical_groups.get(security) or security


def basis_overlay_to_apply(*, lot: Lot, computed_adjustment: Decimal) -> Decimal:
    """The basis the overlay still adds to a custodian lot: the engine's computed wash-sale
    adjustment minus what the custodian already put in `cost_basis`, never negative.

    Invariant: applying it to a lot the custodian has already adjusted in full adds nothing, so
    no disallowed loss is counted twice however often the engine runs.
    """
    return max(ZERO, computed_adjustment - lot.wash_sale_adjustment)


# --- the engine --------------------------------------------------------------------------------


@dataclass
class _Part:
    """Replacement shares that absorbed one loss; mutable while the entity's history replays."""

    quantity: Decimal
    basis_adjustment: Decimal
    holding_period_days: int


@dataclass
class _ReplacementLot:
    """A lot opened by a purchase the engine saw: a possible replacement for loss sales."""

    order: int
    account: str
    lot_id: str
    transaction_id: str
    key: str
    acquired_date: date
    tax_advantaged: bool
    held: Decimal
    parts: list[_Part] = field(default_factory=list)

    @property
    def unmatched(self) -> Decimal:
        """Shares held that have not yet absorbed a loss."""
        return self.held - sum((part.quantity for part in self.parts), ZERO)

    def absorb(self, quantity: Decimal, basis_adjustment: Decimal, days: int) -> None:
        self.parts.append(_Part(quantity, basis_adjustment, days))

    def relieve(self, quantity: Decimal) -> list[_Part]:
        """Take `quantity` shares out pro rata over the parts; return what left, the unmatched
        shares last (as a part with no adjustment)."""
        if quantity > self.held:
            raise ValueError(f"lot {self.lot_id} in {self.account} holds {self.held}, "
                             f"cannot relieve {quantity}")
        buckets = [*self.parts, _Part(self.unmatched, ZERO, 0)]
        taken = allocate(quantity, [bucket.quantity for bucket in buckets], SHARE)
        relieved: list[_Part] = []
        for bucket, shares in zip(buckets, taken, strict=True):
            if shares == bucket.quantity:
                adjustment = bucket.basis_adjustment
            else:
                adjustment = allocate(bucket.basis_adjustment,
                                      [shares, bucket.quantity - shares])[0]
            relieved.append(_Part(shares, adjustment, bucket.holding_period_days))
            bucket.quantity -= shares
            bucket.basis_adjustment -= adjustment
        self.parts = [part for part in self.parts if part.quantity > 0]
        self.held -= quantity
        return relieved


@dataclass
class _Piece:
    """A realized lot part under test; becomes an `AdjustedRealizedLot`."""

    realized: RealizedLot
    part: int
    holding_period_start: date | None
    quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    wash_basis_adjustment: Decimal
    washed_quantity: Decimal = ZERO
    disallowed_loss: Decimal = ZERO

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost_basis

    def freeze(self) -> AdjustedRealizedLot:
        sold = self.realized
        return AdjustedRealizedLot(
            sale_transaction_id=sold.sale_transaction_id, account=sold.account,
            security=sold.security, lot_id=sold.lot_id, part=self.part,
            acquired_date=sold.acquired_date, holding_period_start=self.holding_period_start,
            sold_date=sold.sold_date, quantity=self.quantity, proceeds=self.proceeds,
            cost_basis=self.cost_basis, wash_basis_adjustment=self.wash_basis_adjustment,
            washed_quantity=self.washed_quantity, disallowed_loss=self.disallowed_loss)


def _carried_start(acquired: date, own_start: date | None, days: int) -> date | None:
    """The holding-period start after carrying `days` over, never carrying twice: when the
    custodian already moved the start at least as far back, its start stands."""
    if days == 0:
        return own_start
    carried = acquired - timedelta(days=days)
    return min(carried, own_start or acquired)


def _split_by_carry(parts: Iterable[_Part]) -> tuple[_Part, list[_Part]]:
    """The shares that carry nothing (unmatched, or matched by a tax-advantaged replacement),
    and one part per carried holding period among the rest, in first-seen order.

    A part with an adjustment but no carried days (a replacement bought on the sale day) still
    stands apart: the adjustment belongs on those shares, not on the whole lot.
    """
    base = _Part(ZERO, ZERO, 0)
    carried: dict[int, _Part] = {}
    for part in parts:
        if part.quantity == 0:
            continue
        if part.basis_adjustment == 0 and part.holding_period_days == 0:
            base.quantity += part.quantity
        elif part.holding_period_days in carried:
            into = carried[part.holding_period_days]
            into.quantity += part.quantity
            into.basis_adjustment += part.basis_adjustment
        else:
            carried[part.holding_period_days] = _Part(part.quantity, part.basis_adjustment,
                                                      part.holding_period_days)
    return base, list(carried.values())


def _spread_basis(*, cost_basis: Decimal, custodian_adjustment: Decimal,
                  quantities: Sequence[Decimal], adjustments: Sequence[Decimal]
                  ) -> tuple[list[Decimal], list[Decimal]]:
    """Each part's basis, and what the engine added to it beyond the custodian's basis.

    The custodian's own wash-sale adjustment is already inside `cost_basis`: the part of it the
    engine also computed comes out of the pool shared pro rata, and the engine's adjustments go
    on the shares they belong to. Invariant: the bases add up to `cost_basis +
    max(0, sum(adjustments) - custodian_adjustment)`, so nothing is applied twice.
    """
    computed = sum(adjustments, ZERO)
    pool = allocate(cost_basis - min(custodian_adjustment, computed), quantities)
    custodian = allocate(cost_basis, quantities)
    bases = [share + adjustment for share, adjustment in zip(pool, adjustments, strict=True)]
    return bases, [basis - share for basis, share in zip(bases, custodian, strict=True)]


def _pieces_of(sold: RealizedLot, replacement: _ReplacementLot | None) -> list[_Piece]:
    """Split a realized lot by the wash-sale parts of the shares it sold (part 0 first: the
    shares carrying nothing; it may be empty, and is then left out)."""
    whole = _Piece(realized=sold, part=0, holding_period_start=sold.holding_period_start,
                   quantity=sold.quantity, proceeds=sold.proceeds, cost_basis=sold.cost_basis,
                   wash_basis_adjustment=ZERO)
    if replacement is None:
        return [whole]
    base, carried = _split_by_carry(replacement.relieve(sold.quantity))
    if not carried:
        return [whole]
    buckets = [base, *carried]
    quantities = [bucket.quantity for bucket in buckets]
    bases, added = _spread_basis(
        cost_basis=sold.cost_basis, custodian_adjustment=sold.wash_sale_adjustment,
        quantities=quantities, adjustments=[bucket.basis_adjustment for bucket in buckets])
    proceeds = allocate(sold.proceeds, quantities)
    return [
        _Piece(realized=sold, part=index,
               holding_period_start=_carried_start(sold.acquired_date, sold.holding_period_start,
                                                   bucket.holding_period_days),
               quantity=bucket.quantity, proceeds=proceeds[index], cost_basis=bases[index],
               wash_basis_adjustment=added[index])
        for index, bucket in enumerate(buckets) if bucket.quantity
    ]


@dataclass
class _Entity:
    """One tax entity's history while it replays."""

    replacements: list[_ReplacementLot] = field(default_factory=list)
    realized: list[RealizedLot] = field(default_factory=list)


@dataclass
class _EntityResult:
    adjustments: list[WashSaleAdjustment]
    pieces: list[_Piece]
    replacements: list[_ReplacementLot]


def _test_loss(piece: _Piece, *, candidates: Sequence[_ReplacementLot]
               ) -> list[WashSaleAdjustment]:
    """Match a loss piece against replacement shares, first bought first; record the washes.

    `candidates` are the entity's purchases of the piece's identical key, in the order bought.
    """
    sold = piece.realized
    loss = -piece.gain
    window_start = sold.sold_date - timedelta(days=WINDOW_DAYS)
    window_end = sold.sold_date + timedelta(days=WINDOW_DAYS)
    days = days_held(sold.acquired_date, sold.sold_date, piece.holding_period_start)
    adjustments: list[WashSaleAdjustment] = []
    for candidate in candidates:
        if piece.washed_quantity == piece.quantity:
            break
        if (not window_start <= candidate.acquired_date <= window_end
                or (candidate.account, candidate.lot_id) == (sold.account, sold.lot_id)):
            continue
        shares = min(piece.quantity - piece.washed_quantity, candidate.unmatched)
        if shares <= 0:
            continue
        piece.washed_quantity += shares
        # Disallowed so far, from the running share count, so that the parts add up to the
        # whole loss exactly when every share is replaced.
        disallowed_so_far = (loss if piece.washed_quantity == piece.quantity
                             else to_cents(loss * piece.washed_quantity / piece.quantity))
        disallowed = disallowed_so_far - piece.disallowed_loss
        piece.disallowed_loss = disallowed_so_far
        carried_days = 0 if candidate.tax_advantaged else days
        basis_adjustment = ZERO if candidate.tax_advantaged else disallowed
        candidate.absorb(shares, basis_adjustment, carried_days)
        adjustments.append(WashSaleAdjustment(
            loss_sale_transaction_id=sold.sale_transaction_id, loss_sale_account=sold.account,
            loss_sale_lot_id=sold.lot_id, loss_sale_date=sold.sold_date,
            replacement_account=candidate.account, replacement_lot_id=candidate.lot_id,
            replacement_transaction_id=candidate.transaction_id,
            replacement_date=candidate.acquired_date, shares=shares, disallowed_loss=disallowed,
            basis_adjustment=basis_adjustment, holding_period_days=carried_days,
            permanently_disallowed=candidate.tax_advantaged))
    return adjustments


def _replay_entity(entity: _Entity, *, accounts: Mapping[str, AccountTaxProfile],
                   identical_groups: Mapping[str, str]) -> _EntityResult:
    by_lot = {(lot.account, lot.lot_id): lot for lot in entity.replacements}
    candidates: dict[str, list[_ReplacementLot]] = defaultdict(list)
    for lot in sorted(entity.replacements, key=lambda lot: (lot.acquired_date, lot.order)):
        candidates[lot.key].append(lot)
    # Sales in the order they happened, the lots of one sale together, in the order given.
    first_seen: dict[str, int] = {}
    for position, sold in enumerate(entity.realized):
        first_seen.setdefault(sold.sale_transaction_id, position)
    sales = sorted(entity.realized,
                   key=lambda sold: (sold.sold_date, first_seen[sold.sale_transaction_id]))
    adjustments: list[WashSaleAdjustment] = []
    pieces: list[_Piece] = []
    index = 0
    while index < len(sales):
        end = index
        while (end < len(sales)
               and sales[end].sale_transaction_id == sales[index].sale_transaction_id):
            end += 1
        # Relieve every lot of the sale before testing any: shares sold in this sale are
        # gone, so they cannot replace each other.
        sale_pieces = [piece for sold in sales[index:end]
                       for piece in _pieces_of(sold, by_lot.get((sold.account, sold.lot_id)))]
        for piece in sale_pieces:
            if accounts[piece.realized.account].is_taxable and piece.gain < 0:
                key = identical_key(piece.realized.security, identical_groups)
                adjustments.extend(_test_loss(piece, candidates=candidates.get(key, ())))
        pieces.extend(sale_pieces)
        index = end
    return _EntityResult(adjustments=adjustments, pieces=pieces,
                         replacements=entity.replacements)


def _profile(accounts: Mapping[str, AccountTaxProfile], account: str) -> AccountTaxProfile:
    try:
        return accounts[account]
    except KeyError:
        # Fail closed: an account of unknown entity could hide a wash sale.
        raise ValueError(f"account {account} has no tax profile") from None


def _replay(*, accounts: Mapping[str, AccountTaxProfile], transactions: Iterable[Transaction],
            realized: Iterable[RealizedLot], identical_groups: Mapping[str, str]
            ) -> list[_EntityResult]:
    entities: dict[str, _Entity] = defaultdict(_Entity)
    seen: set[tuple[str, str]] = set()
    for order, row in enumerate(effective_transactions(transactions)):
        if not row.is_acquisition:
            continue
        profile = _profile(accounts, row.account)
        if row.security is None:
            raise ValueError(f"{row.type} {row.transaction_id} names no security")
        lot_key = (row.account, row.opened_lot_id)
        if lot_key in seen:
            raise ValueError(f"lot {row.opened_lot_id} in {row.account} is opened twice")
        seen.add(lot_key)
        entities[profile.tax_entity].replacements.append(_ReplacementLot(
            order=order, account=row.account, lot_id=row.opened_lot_id,
            transaction_id=row.transaction_id,
            key=identical_key(row.security, identical_groups), acquired_date=row.trade_date,
            tax_advantaged=not profile.is_taxable, held=row.shares))
    for sold in realized:
        entities[_profile(accounts, sold.account).tax_entity].realized.append(sold)
    return [_replay_entity(entity, accounts=accounts, identical_groups=identical_groups)
            for entity in entities.values()]


def _overlay_of(lot: _ReplacementLot) -> LotOverlay | None:
    _, parts = _split_by_carry(lot.parts)
    if lot.held == 0 or not parts:
        return None
    return LotOverlay(account=lot.account, lot_id=lot.lot_id, quantity=lot.held, parts=tuple(
        OverlayPart(quantity=part.quantity, basis_adjustment=part.basis_adjustment,
                    holding_period_days=part.holding_period_days,
                    holding_period_start=lot.acquired_date
                    - timedelta(days=part.holding_period_days))
        for part in parts))


def find_wash_sales(*, accounts: Mapping[str, AccountTaxProfile],
                    transactions: Iterable[Transaction], realized: Iterable[RealizedLot],
                    identical_groups: Mapping[str, str]) -> WashSaleAnalysis:
    """Apply the wash-sale rules to every tax entity in the data.

    `accounts` maps every account named in `transactions` or `realized` to its profile (a
    missing one raises `ValueError`); `transactions` supply the purchases (buys and dividend
    reinvestments, cancellations applied; other types are ignored); `realized` are the sales
    (from `realized.realize`); `identical_groups` maps a security to its identical group.
    Entities never wash each other's sales.
    """
    results = _replay(accounts=accounts, transactions=transactions, realized=realized,
                      identical_groups=identical_groups)
    adjustments = [adjustment for result in results for adjustment in result.adjustments]
    overlays = [overlay for result in results for lot in result.replacements
                if (overlay := _overlay_of(lot)) is not None]
    return WashSaleAnalysis(
        adjustments=tuple(adjustments),
        realized=tuple(piece.freeze() for result in results for piece in result.pieces),
        overlays=tuple(overlays))


def apply_overlay(*, lots: Iterable[Lot], overlays: Iterable[LotOverlay]
                  ) -> tuple[AdjustedLot, ...]:
    """The custodian's open lots with the wash-sale overlay, never editing a custodian lot.

    A lot without an overlay comes back as one part, unchanged. A lot with one comes back as
    part 0 (shares with no carried holding period) and a part per carried holding period. The
    custodian's `wash_sale_adjustment` is taken out of the engine's adjustment first (see
    `basis_overlay_to_apply`), and a holding period the custodian already carried is not
    carried again. When the custodian holds fewer shares than the engine expected, the parts
    shrink pro rata with their adjustments; more shares (a split) scale the parts' quantities
    only. An overlay for a lot the custodian no longer carries is dropped: the shares are gone,
    and their adjustments went into the realized lots that sold them.
    """
    by_key = {(overlay.account, overlay.lot_id): overlay for overlay in overlays}
    adjusted: list[AdjustedLot] = []
    for lot in lots:
        overlay = by_key.get((lot.account, lot.lot_id))
        if overlay is None or lot.quantity == 0:
            adjusted.append(AdjustedLot(
                account=lot.account, lot_id=lot.lot_id, part=0, security=lot.security,
                quantity=lot.quantity, cost_basis=lot.cost_basis,
                acquired_date=lot.acquired_date, holding_period_start=lot.holding_period_start))
            continue
        adjusted.extend(_overlay_lot(lot, overlay))
    return tuple(adjusted)


def _overlay_lot(lot: Lot, overlay: LotOverlay) -> list[AdjustedLot]:
    unadjusted = overlay.quantity - sum((part.quantity for part in overlay.parts), ZERO)
    quantities = allocate(lot.quantity, [unadjusted, *(part.quantity for part in overlay.parts)],
                          SHARE)
    if lot.quantity >= overlay.quantity:
        adjustments = [part.basis_adjustment for part in overlay.parts]
    else:
        # Shares sold outside the engine's view took their share of the adjustment with them.
        adjustments = [to_cents(part.basis_adjustment * lot.quantity / overlay.quantity)
                       for part in overlay.parts]
    bases, added = _spread_basis(cost_basis=lot.cost_basis,
                                 custodian_adjustment=lot.wash_sale_adjustment,
                                 quantities=quantities, adjustments=[ZERO, *adjustments])
    days = [0, *(part.holding_period_days for part in overlay.parts)]
    return [
        AdjustedLot(account=lot.account, lot_id=lot.lot_id, part=index, security=lot.security,
                    quantity=quantity, cost_basis=bases[index], acquired_date=lot.acquired_date,
                    holding_period_start=_carried_start(lot.acquired_date,
                                                        lot.holding_period_start, days[index]),
                    overlay_basis_adjustment=added[index])
        for index, quantity in enumerate(quantities) if quantity
    ]


def wash_sale_windows(*, tax_entity: str, accounts: Mapping[str, AccountTaxProfile],
                      transactions: Iterable[Transaction], realized: Iterable[RealizedLot],
                      identical_groups: Mapping[str, str], as_of: date
                      ) -> dict[str, WashSaleWindow]:
    """The wash-sale windows of one tax entity on `as_of`, keyed by `identical_key`.

    Only data of `tax_entity`'s accounts on or before `as_of` is read; an account missing from
    `accounts` raises `ValueError`, as in `find_wash_sales`. A key appears only
    when something is blocked on or after `as_of`:
    - `buy_blocked_until`: loss sale date + 30 for taxable loss sales in the last 30 days whose
      loss is not yet fully washed (a buy cannot wash a loss that is already washed);
    - `loss_sale_blocked_until`: purchase date + 30 for purchases in the last 30 days, in any of
      the entity's accounts, with shares still held and not yet used as replacements.
    """
    transactions, realized = list(transactions), list(realized)
    for account in {row.account for row in transactions} | {sold.account for sold in realized}:
        _profile(accounts, account)
    members = {name: profile for name, profile in accounts.items()
               if profile.tax_entity == tax_entity}
    results = _replay(
        accounts=members,
        transactions=[row for row in transactions
                      if row.account in members and row.trade_date <= as_of],
        realized=[sold for sold in realized
                  if sold.account in members and sold.sold_date <= as_of],
        identical_groups=identical_groups)
    since = as_of - timedelta(days=WINDOW_DAYS)
    buy_blocked: dict[str, date] = {}
    purchases: dict[str, list[RecentPurchase]] = defaultdict(list)
    for result in results:
        for piece in result.pieces:
            sold = piece.realized
            if (members[sold.account].is_taxable and piece.gain < 0
                    and piece.washed_quantity < piece.quantity and sold.sold_date >= since):
                key = identical_key(sold.security, identical_groups)
                until = sold.sold_date + timedelta(days=WINDOW_DAYS)
                buy_blocked[key] = max(until, buy_blocked.get(key, until))
        for lot in result.replacements:
            if lot.acquired_date >= since and lot.unmatched > 0:
                purchases[lot.key].append(RecentPurchase(
                    account=lot.account, lot_id=lot.lot_id, trade_date=lot.acquired_date,
                    unmatched_quantity=lot.unmatched))
    return {
        key: WashSaleWindow(
            key=key, buy_blocked_until=buy_blocked.get(key),
            loss_sale_blocked_until=max(
                (purchase.blocks_loss_sales_until for purchase in purchases.get(key, ())),
                default=None),
            recent_purchases=tuple(purchases.get(key, ())))
        for key in sorted(buy_blocked.keys() | purchases.keys())
    }
