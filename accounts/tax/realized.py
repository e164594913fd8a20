"""Realized lots: replay an account's trades over the lots open before them.

The input is the lots open at the start (a custodian snapshot) and the transactions after it,
as the feeds deliver them (FEEDS.md, `tax_lots` and `transactions`). A buy or dividend
reinvestment opens the lot named by its `lot_id`; a sell relieves the lot named by its `lot_id`
(or, when it names none, the account's oldest lots of the security first, the custodians'
default); every relieved piece becomes a `RealizedLot`.

Invariants of `realize`:
- money is exact: a partial relief takes the lot's basis pro rata, rounded to the cent, and the
  remainder stays on the part still open, so realized basis plus open basis equals the basis the
  lot started with, to the cent; proceeds split across lots the same way and add up to the sale;
- transfers in and out realize nothing (a transfer out takes its shares and their basis out of
  the lot; a lot transferred in must come with the next snapshot);
- a cancelled transaction has no effect (see `effective_transactions`);
- data that cannot be replayed (a sell of a lot that is not open, more shares than the lot holds)
  raises `LotMismatchError`: the caller holds the account rather than report invented gains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from accounts.tax.holding_period import Term, term

CENT = Decimal("0.01")
# The feeds carry quantities to six decimal places (fractional shares, fund units).
SHARE = Decimal("0.000001")
ZERO = Decimal(0)


class TransactionType(StrEnum):
    """The `type` column of the transactions feed."""

    BUY = "buy"
    SELL = "sell"
    DIVIDEND_REINVESTMENT = "dividend_reinvestment"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    DIVIDEND = "dividend"
    INTEREST = "interest"
    FEE = "fee"
    RETURN_OF_CAPITAL = "return_of_capital"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"


# A dividend reinvestment is a purchase: it opens a lot and can replace shares sold at a loss.
ACQUISITION_TYPES = frozenset({TransactionType.BUY, TransactionType.DIVIDEND_REINVESTMENT})


class LotMismatchError(ValueError):
    """The transactions do not fit the lots: the account's data must be fixed, not guessed."""


@dataclass(frozen=True)
class Transaction:
    """One row of the transactions feed; `security` is whatever key the caller uses for it.

    `quantity` and `amount` are magnitudes: the direction is in `type`, so their signs are
    ignored. `lot_id` is the lot a buy opened or a sell relieved; `cancels` names the transaction
    this one cancels or corrects.
    """

    transaction_id: str
    account: str
    trade_date: date
    type: TransactionType
    security: str | None = None
    quantity: Decimal | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    lot_id: str = ""
    cancels: str = ""

    @property
    def is_acquisition(self) -> bool:
        return self.type in ACQUISITION_TYPES

    @property
    def opened_lot_id(self) -> str:
        """The lot an acquisition opened: its `lot_id`, or its own id when the feed gave none."""
        return self.lot_id or self.transaction_id

    @property
    def shares(self) -> Decimal:
        """The quantity as a positive number; raises when the row has none."""
        if self.quantity is None or self.quantity == 0:
            raise LotMismatchError(f"{self.type} {self.transaction_id} has no quantity")
        return abs(self.quantity)

    @property
    def money(self) -> Decimal:
        """The cost of a purchase or the proceeds of a sale, to the cent, positive.

        The feed's `amount` when given (it includes commissions), else quantity × price.
        """
        if self.amount is not None:
            return abs(self.amount)
        if self.price is not None:
            return to_cents(self.shares * abs(self.price))
        raise LotMismatchError(f"{self.type} {self.transaction_id} has neither amount nor price")


@dataclass(frozen=True)
class Lot:
    """An open tax lot as the custodian carries it (one row of the tax_lots feed).

    `cost_basis` is the lot's total basis and already includes `wash_sale_adjustment`, the loss
    the custodian itself disallowed and added. `holding_period_start`, when set, replaces
    `acquired_date` for the holding period (see `holding_period`).
    """

    account: str
    lot_id: str
    security: str
    quantity: Decimal
    cost_basis: Decimal
    acquired_date: date
    holding_period_start: date | None = None
    wash_sale_adjustment: Decimal = ZERO


@dataclass(frozen=True)
class RealizedLot:
    """The part of one lot that one sale relieved.

    `cost_basis` is this part's share of the lot's basis (custodian's wash-sale adjustment
    included, and `wash_sale_adjustment` says how much of it that is); `gain` is negative for a
    loss and is the gain before any wash-sale rule is applied.
    """

    sale_transaction_id: str
    account: str
    security: str
    lot_id: str
    acquired_date: date
    holding_period_start: date | None
    sold_date: date
    quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    wash_sale_adjustment: Decimal = ZERO

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost_basis

    @property
    def term(self) -> Term:
        return term(self.acquired_date, self.sold_date, self.holding_period_start)


@dataclass(frozen=True)
class Realization:
    """What a replay returns: the realized lots in the order sold, and the lots left open."""

    realized: tuple[RealizedLot, ...]
    open_lots: tuple[Lot, ...]


def to_cents(amount: Decimal) -> Decimal:
    """Round to the cent, halves away from zero."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal], quantum: Decimal = CENT) -> list[Decimal]:
    """Split `total` in proportion to `weights`, each share rounded to `quantum`.

    Invariant: the shares add up to `total` exactly. Each share is the difference of rounded
    running totals, so rounding never drifts and the last share absorbs what is left.
    """
    whole = sum(weights, ZERO)
    if whole <= 0:
        raise ValueError("allocation weights must add up to more than zero")
    shares: list[Decimal] = []
    running_weight = ZERO
    allocated = ZERO
    for index, weight in enumerate(weights):
        running_weight += weight
        if index == len(weights) - 1:
            cumulative = total
        else:
            cumulative = (total * running_weight / whole).quantize(quantum, rounding=ROUND_HALF_UP)
        shares.append(cumulative - allocated)
        allocated = cumulative
    return shares


def effective_transactions(transactions: Iterable[Transaction]) -> tuple[Transaction, ...]:
    """The transactions that stand once cancellations and corrections are applied, in order.

    A transaction named by another's `cancels` is removed. The one that names it stays as its
    replacement (a correction), unless it carries neither quantity nor amount: then it only
    cancels and is removed too. Chains work: if B corrects A and C corrects B, only C stands.
    Raises `ValueError` on a repeated transaction id (the feed is idempotent by id, so a repeat
    means the caller mixed two sources).
    """
    rows = list(transactions)
    seen: set[str] = set()
    for row in rows:
        if row.transaction_id in seen:
            raise ValueError(f"transaction {row.transaction_id} appears twice")
        seen.add(row.transaction_id)
    cancelled = {row.cancels for row in rows if row.cancels}

    def stands(row: Transaction) -> bool:
        if row.transaction_id in cancelled:
            return False
        only_cancels = bool(row.cancels) and not row.quantity and not row.amount
        return not only_cancels

    return tuple(row for row in rows if stands(row))


def replay_order(transactions: Iterable[Transaction]) -> list[Transaction]:
    """By trade date; on one day acquisitions first, so a same-day sale finds the lot it sells.

    The sort is stable: transactions of one day and kind keep the order the feed gave them.
    """
    return sorted(transactions, key=lambda row: (row.trade_date, 0 if row.is_acquisition else 1))


@dataclass
class _OpenLot:
    """Replay state of one lot; mutable because a replay relieves it share by share."""

    lot: Lot
    quantity: Decimal
    cost_basis: Decimal
    wash_sale_adjustment: Decimal

    def relieve(self, shares: Decimal) -> tuple[Decimal, Decimal]:
        """Take `shares` out; return their basis and their part of the custodian's adjustment."""
        if shares > self.quantity:
            raise LotMismatchError(
                f"lot {self.lot.lot_id} in {self.lot.account} holds {self.quantity}, "
                f"cannot relieve {shares}")
        if shares == self.quantity:
            basis, adjustment = self.cost_basis, self.wash_sale_adjustment
        else:
            weights = [shares, self.quantity - shares]
            basis = allocate(self.cost_basis, weights)[0]
            adjustment = allocate(self.wash_sale_adjustment, weights)[0]
        self.quantity -= shares
        self.cost_basis -= basis
        self.wash_sale_adjustment -= adjustment
        return basis, adjustment

    def snapshot(self) -> Lot:
        return Lot(account=self.lot.account, lot_id=self.lot.lot_id, security=self.lot.security,
                   quantity=self.quantity, cost_basis=self.cost_basis,
                   acquired_date=self.lot.acquired_date,
                   holding_period_start=self.lot.holding_period_start,
                   wash_sale_adjustment=self.wash_sale_adjustment)


@dataclass
class _Replay:
    open_lots: dict[tuple[str, str], _OpenLot] = field(default_factory=dict)
    realized: list[RealizedLot] = field(default_factory=list)

    def open(self, lot: Lot) -> None:
        key = (lot.account, lot.lot_id)
        if key in self.open_lots:
            raise LotMismatchError(f"lot {lot.lot_id} in {lot.account} is already open")
        self.open_lots[key] = _OpenLot(lot=lot, quantity=lot.quantity, cost_basis=lot.cost_basis,
                                       wash_sale_adjustment=lot.wash_sale_adjustment)

    def lots_to_relieve(self, row: Transaction) -> list[tuple[_OpenLot, Decimal]]:
        """The lots a sale or transfer takes shares from, and how many from each."""
        wanted = row.shares
        if row.lot_id:
            found = self.open_lots.get((row.account, row.lot_id))
            if found is None:
                raise LotMismatchError(
                    f"{row.type} {row.transaction_id} relieves lot {row.lot_id}, which is not "
                    f"open in {row.account}")
            if row.security is not None and found.lot.security != row.security:
                raise LotMismatchError(
                    f"{row.type} {row.transaction_id} is for {row.security} but lot "
                    f"{row.lot_id} holds {found.lot.security}")
            return [(found, wanted)]
        # No lot named: first in, first out, the custodians' default relief method.
        candidates = sorted(
            (state for state in self.open_lots.values()
             if state.lot.account == row.account and state.lot.security == row.security
             and state.quantity > 0),
            key=lambda state: (state.lot.acquired_date, state.lot.lot_id))
        plan: list[tuple[_OpenLot, Decimal]] = []
        for state in candidates:
            if wanted == 0:
                break
            taken = min(wanted, state.quantity)
            plan.append((state, taken))
            wanted -= taken
        if wanted > 0:
            raise LotMismatchError(
                f"{row.type} {row.transaction_id} sells {row.shares} {row.security} but "
                f"{row.account} holds only {row.shares - wanted}")
        return plan

    def acquire(self, row: Transaction) -> None:
        if row.security is None:
            raise LotMismatchError(f"{row.type} {row.transaction_id} names no security")
        self.open(Lot(account=row.account, lot_id=row.opened_lot_id, security=row.security,
                      quantity=row.shares, cost_basis=row.money, acquired_date=row.trade_date))

    def sell(self, row: Transaction) -> None:
        plan = self.lots_to_relieve(row)
        proceeds = allocate(row.money, [shares for _, shares in plan])
        for (state, shares), lot_proceeds in zip(plan, proceeds, strict=True):
            basis, adjustment = state.relieve(shares)
            self.realized.append(RealizedLot(
                sale_transaction_id=row.transaction_id, account=row.account,
                security=state.lot.security, lot_id=state.lot.lot_id,
                acquired_date=state.lot.acquired_date,
                holding_period_start=state.lot.holding_period_start, sold_date=row.trade_date,
                quantity=shares, proceeds=lot_proceeds, cost_basis=basis,
                wash_sale_adjustment=adjustment))

    def transfer_out(self, row: Transaction) -> None:
        # Shares leave with their basis and realize nothing; a transfer of a lot this replay
        # does not know is not a gains matter, so it is left to reconciliation.
        if row.lot_id and (row.account, row.lot_id) in self.open_lots:
            for state, shares in self.lots_to_relieve(row):
                state.relieve(shares)


def realize(*, lots: Iterable[Lot], transactions: Iterable[Transaction]) -> Realization:
    """Replay `transactions` over `lots` (open before the first of them) and realize the sales.

    `lots` and `transactions` may span accounts; lots are keyed by (account, lot_id). Returns
    the realized lots in the order sold and the lots still open (fully relieved lots dropped).
    Raises `LotMismatchError` when a transaction does not fit the lots.
    """
    replay = _Replay()
    for lot in lots:
        replay.open(lot)
    for row in replay_order(effective_transactions(transactions)):
        if row.is_acquisition:
            replay.acquire(row)
        elif row.type == TransactionType.SELL:
            replay.sell(row)
        elif row.type == TransactionType.TRANSFER_OUT:
            replay.transfer_out(row)
        # Cash flows, dividends, fees and transfers in do not touch lots.
    open_lots = tuple(state.snapshot() for state in replay.open_lots.values() if state.quantity)
    return Realization(realized=tuple(replay.realized), open_lots=open_lots)
