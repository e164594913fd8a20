"""Realized lots: a replay of buys and sells over the lots open before them, exact to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.tax.realized import (
    Lot,
    LotMismatchError,
    Transaction,
    TransactionType,
    allocate,
    effective_transactions,
    realize,
)

ALICE = "alice-taxable"


def buy(transaction_id, day, quantity, amount, *, lot_id="", security="XYZ", account=ALICE,
        kind=TransactionType.BUY, cancels=""):
    return Transaction(transaction_id=transaction_id, account=account,
                       trade_date=date.fromisoformat(day), type=kind, security=security,
                       quantity=Decimal(quantity), amount=Decimal(amount), lot_id=lot_id,
                       cancels=cancels)


def sell(transaction_id, day, quantity, amount, *, lot_id="", security="XYZ", account=ALICE,
         cancels="", kind=TransactionType.SELL):
    return Transaction(transaction_id=transaction_id, account=account,
                       trade_date=date.fromisoformat(day), type=kind, security=security,
                       quantity=Decimal(quantity), amount=Decimal(amount), lot_id=lot_id,
                       cancels=cancels)


def lot(lot_id, quantity, basis, acquired, *, start=None, adjustment="0", security="XYZ"):
    return Lot(account=ALICE, lot_id=lot_id, security=security, quantity=Decimal(quantity),
               cost_basis=Decimal(basis), acquired_date=date.fromisoformat(acquired),
               holding_period_start=date.fromisoformat(start) if start else None,
               wash_sale_adjustment=Decimal(adjustment))


def test_full_relief_realizes_the_whole_lot():
    result = realize(lots=[lot("L1", "100", "1000.00", "2024-03-15")],
                     transactions=[sell("s1", "2025-03-17", "100", "1250.00", lot_id="L1")])
    (sold,) = result.realized
    assert (sold.sale_transaction_id, sold.lot_id, sold.quantity) == ("s1", "L1", 100)
    assert (sold.proceeds, sold.cost_basis, sold.gain) == (Decimal("1250.00"),
                                                           Decimal("1000.00"),
                                                           Decimal("250.00"))
    assert sold.acquired_date == date(2024, 3, 15) and sold.sold_date == date(2025, 3, 17)
    assert sold.term == "long"
    assert result.open_lots == ()


def test_partial_reliefs_round_to_the_cent_and_the_remainder_stays_open():
    # $1,000.00 over 3 shares: each third is $333.33 and the last cent stays with the lot.
    opening = lot("L1", "3", "1000.00", "2025-01-02")
    first = realize(lots=[opening], transactions=[sell("s1", "2025-02-03", "1", "300.00",
                                                       lot_id="L1")])
    assert first.realized[0].cost_basis == Decimal("333.33")
    (remaining,) = first.open_lots
    assert (remaining.quantity, remaining.cost_basis) == (Decimal(2), Decimal("666.67"))

    everything = realize(lots=[opening], transactions=[
        sell("s1", "2025-02-03", "1", "300.00", lot_id="L1"),
        sell("s2", "2025-02-04", "1", "310.00", lot_id="L1"),
        sell("s3", "2025-02-05", "1", "320.00", lot_id="L1"),
    ])
    bases = [sold.cost_basis for sold in everything.realized]
    # Each relief is pro rata of what is left: $666.67 / 2 = $333.335, rounded half up.
    assert bases == [Decimal("333.33"), Decimal("333.34"), Decimal("333.33")]
    assert sum(bases) == Decimal("1000.00")
    assert sum(sold.gain for sold in everything.realized) == Decimal("-70.00")
    assert everything.open_lots == ()


def test_partial_relief_carries_its_share_of_the_custodians_wash_sale_adjustment():
    opening = lot("L1", "4", "1050.00", "2025-01-02", start="2024-11-03", adjustment="250.00")
    result = realize(lots=[opening], transactions=[sell("s1", "2025-02-03", "1", "200.00",
                                                        lot_id="L1")])
    (sold,) = result.realized
    assert (sold.cost_basis, sold.wash_sale_adjustment) == (Decimal("262.50"), Decimal("62.50"))
    assert sold.holding_period_start == date(2024, 11, 3)
    (remaining,) = result.open_lots
    assert (remaining.cost_basis, remaining.wash_sale_adjustment) == (Decimal("787.50"),
                                                                      Decimal("187.50"))


def test_a_sale_naming_no_lot_relieves_the_oldest_lots_first_and_splits_proceeds_exactly():
    result = realize(
        lots=[lot("NEW", "10", "150.00", "2025-02-01"), lot("OLD", "10", "100.00", "2024-01-02")],
        transactions=[sell("s1", "2025-03-03", "15", "200.00")])
    assert [(sold.lot_id, sold.quantity) for sold in result.realized] == [("OLD", 10), ("NEW", 5)]
    assert [sold.proceeds for sold in result.realized] == [Decimal("133.33"), Decimal("66.67")]
    assert [sold.cost_basis for sold in result.realized] == [Decimal("100.00"), Decimal("75.00")]
    assert [sold.term for sold in result.realized] == ["long", "short"]
    (remaining,) = result.open_lots
    assert (remaining.lot_id, remaining.quantity, remaining.cost_basis) == ("NEW", 5,
                                                                            Decimal("75.00"))


def test_buys_and_dividend_reinvestments_open_lots_that_later_sells_relieve():
    result = realize(lots=[], transactions=[
        buy("b1", "2025-01-02", "10", "1000.00", lot_id="L1"),
        buy("d1", "2025-03-31", "0.25", "24.37", lot_id="L2",
            kind=TransactionType.DIVIDEND_REINVESTMENT),
        sell("s1", "2025-04-01", "0.25", "25.00", lot_id="L2"),
    ])
    (sold,) = result.realized
    assert (sold.lot_id, sold.acquired_date, sold.gain) == ("L2", date(2025, 3, 31),
                                                            Decimal("0.63"))
    (remaining,) = result.open_lots
    assert remaining.lot_id == "L1" and remaining.cost_basis == Decimal("1000.00")


def test_a_buy_and_a_sell_of_its_lot_on_the_same_day_in_either_order():
    result = realize(lots=[], transactions=[
        sell("s1", "2025-05-05", "10", "990.00", lot_id="L9"),
        buy("b1", "2025-05-05", "10", "1000.00", lot_id="L9"),
    ])
    assert [sold.gain for sold in result.realized] == [Decimal("-10.00")]


def test_amount_missing_uses_quantity_times_price():
    row = Transaction(transaction_id="b1", account=ALICE, trade_date=date(2025, 1, 2),
                      type=TransactionType.BUY, security="XYZ", quantity=Decimal("3"),
                      price=Decimal("10.005"), lot_id="L1")
    (opened,) = realize(lots=[], transactions=[row]).open_lots
    assert opened.cost_basis == Decimal("30.02")  # 30.015, half away from zero


def test_signs_of_quantity_and_amount_are_ignored():
    result = realize(lots=[lot("L1", "10", "100.00", "2025-01-02")],
                     transactions=[sell("s1", "2025-02-03", "-10", "-90.00", lot_id="L1")])
    assert result.realized[0].gain == Decimal("-10.00")


def test_transfers_realize_nothing():
    result = realize(lots=[lot("L1", "10", "100.00", "2025-01-02"),
                           lot("L2", "10", "200.00", "2025-01-03")],
                     transactions=[
                         sell("t1", "2025-02-03", "4", "0", lot_id="L1",
                              kind=TransactionType.TRANSFER_OUT),
                         buy("t2", "2025-02-03", "5", "0", lot_id="L3",
                             kind=TransactionType.TRANSFER_IN),
                     ])
    assert result.realized == ()
    assert {(held.lot_id, held.quantity, held.cost_basis) for held in result.open_lots} == {
        ("L1", Decimal(6), Decimal("60.00")), ("L2", Decimal(10), Decimal("200.00"))}


def test_a_cancelled_buy_opens_nothing_and_a_correction_replaces_the_sale():
    result = realize(lots=[lot("L1", "100", "1000.00", "2025-01-02")], transactions=[
        buy("b1", "2025-02-03", "50", "600.00", lot_id="L2"),
        Transaction(transaction_id="b1x", account=ALICE, trade_date=date(2025, 2, 4),
                    type=TransactionType.BUY, cancels="b1"),
        sell("s1", "2025-02-10", "100", "900.00", lot_id="L1"),
        sell("s1c", "2025-02-10", "60", "540.00", lot_id="L1", cancels="s1"),
    ])
    (sold,) = result.realized
    assert (sold.sale_transaction_id, sold.quantity, sold.gain) == ("s1c", 60,
                                                                    Decimal("-60.00"))
    assert [(held.lot_id, held.quantity) for held in result.open_lots] == [("L1", 40)]


def test_a_chain_of_corrections_leaves_only_the_last():
    rows = [sell("s1", "2025-02-10", "10", "90.00", lot_id="L1"),
            sell("s2", "2025-02-10", "20", "180.00", lot_id="L1", cancels="s1"),
            sell("s3", "2025-02-10", "30", "270.00", lot_id="L1", cancels="s2")]
    assert [row.transaction_id for row in effective_transactions(rows)] == ["s3"]


def test_a_repeated_transaction_id_is_refused():
    row = buy("b1", "2025-01-02", "1", "10.00", lot_id="L1")
    with pytest.raises(ValueError, match="appears twice"):
        effective_transactions([row, row])


@pytest.mark.parametrize(("rows", "message"), [
    ([sell("s1", "2025-02-03", "1", "10.00", lot_id="NOPE")], "not open"),
    ([sell("s1", "2025-02-03", "11", "10.00", lot_id="L1")], "cannot relieve"),
    ([sell("s1", "2025-02-03", "11", "10.00")], "holds only 10"),
    ([sell("s1", "2025-02-03", "1", "10.00", lot_id="L1", security="ABC")], "holds XYZ"),
    ([buy("b1", "2025-02-03", "1", "10.00", lot_id="L1")], "already open"),
])
def test_transactions_that_do_not_fit_the_lots_raise(rows, message):
    with pytest.raises(LotMismatchError, match=message):
        realize(lots=[lot("L1", "10", "100.00", "2025-01-02")], transactions=rows)


def test_allocate_adds_up_exactly():
    shares = allocate(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    assert shares == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]
    assert sum(shares) == Decimal("100.00")
    with pytest.raises(ValueError, match="more than zero"):
        allocate(Decimal(1), [Decimal(0)])
