"""Wash sales across a tax entity (IRS Publication 550, "Wash Sales"; Rev. Rul. 2008-5).

Personas: Alice has a taxable account, an IRA and a Roth IRA; Bob is her spouse, so his taxable
account is in the same tax entity; Charlie is a stranger, his own tax entity.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounts.tax.realized import Lot, Transaction, TransactionType, realize
from accounts.tax.wash_sales import (
    AccountTaxProfile,
    TaxStatus,
    apply_overlay,
    basis_overlay_to_apply,
    find_wash_sales,
    identical_key,
    wash_sale_windows,
)

ALICE, ALICE_IRA, ALICE_ROTH = "alice-taxable", "alice-ira", "alice-roth"
BOB = "bob-taxable"
CHARLIE = "charlie-taxable"
ACCOUNTS = {
    ALICE: AccountTaxProfile(ALICE, "alice-and-bob", TaxStatus.TAXABLE),
    ALICE_IRA: AccountTaxProfile(ALICE_IRA, "alice-and-bob", TaxStatus.TAX_DEFERRED),
    ALICE_ROTH: AccountTaxProfile(ALICE_ROTH, "alice-and-bob", TaxStatus.TAX_EXEMPT),
    BOB: AccountTaxProfile(BOB, "alice-and-bob", TaxStatus.TAXABLE),
    CHARLIE: AccountTaxProfile(CHARLIE, "charlie", TaxStatus.TAXABLE),
}
SHARE_CLASSES = {"FUND-ADMIRAL": "fund-500", "FUND-INVESTOR": "fund-500"}


def buy(transaction_id, day, quantity, amount, lot_id, *, account=ALICE, security="XYZ",
        kind=TransactionType.BUY):
    return Transaction(transaction_id=transaction_id, account=account,
                       trade_date=date.fromisoformat(day), type=kind, security=security,
                       quantity=Decimal(quantity), amount=Decimal(amount), lot_id=lot_id)


def sell(transaction_id, day, quantity, amount, lot_id="", *, account=ALICE, security="XYZ"):
    return Transaction(transaction_id=transaction_id, account=account,
                       trade_date=date.fromisoformat(day), type=TransactionType.SELL,
                       security=security, quantity=Decimal(quantity), amount=Decimal(amount),
                       lot_id=lot_id)


def held(lot_id, quantity, basis, acquired, *, account=ALICE, security="XYZ", start=None,
         adjustment="0"):
    return Lot(account=account, lot_id=lot_id, security=security, quantity=Decimal(quantity),
               cost_basis=Decimal(basis), acquired_date=date.fromisoformat(acquired),
               holding_period_start=date.fromisoformat(start) if start else None,
               wash_sale_adjustment=Decimal(adjustment))


def analyze(transactions, *, lots=(), groups=None):
    realization = realize(lots=lots, transactions=transactions)
    analysis = find_wash_sales(accounts=ACCOUNTS, transactions=transactions,
                               realized=realization.realized, identical_groups=groups or {})
    return realization, analysis


def open_lots_after(transactions, *, lots=(), groups=None):
    realization, analysis = analyze(transactions, lots=lots, groups=groups)
    adjusted = apply_overlay(lots=realization.open_lots, overlays=analysis.overlays)
    return {(lot.account, lot.lot_id, lot.part): lot for lot in adjusted}


# Pub 550, Wash Sales, Example 1: buy 100 shares for $1,000, sell them for $750 and within 30
# days buy 100 shares of the same stock for $800. (The publication gives no dates.)
EXAMPLE_1 = [
    buy("b1", "2025-01-02", "100", "1000.00", "L1"),
    sell("s1", "2025-03-03", "100", "750.00", "L1"),
    buy("b2", "2025-03-20", "100", "800.00", "L2"),
]


def test_publication_550_example_1_loss_disallowed_and_added_to_the_new_basis():
    realization, analysis = analyze(EXAMPLE_1)
    (adjustment,) = analysis.adjustments
    assert (adjustment.loss_sale_transaction_id, adjustment.replacement_account,
            adjustment.replacement_lot_id) == ("s1", ALICE, "L2")
    assert adjustment.shares == 100
    assert adjustment.disallowed_loss == Decimal("250.00")  # "you can't deduct your loss of $250"
    assert adjustment.basis_adjustment == Decimal("250.00")
    assert not adjustment.permanently_disallowed
    (sale,) = analysis.realized
    assert (sale.gain, sale.disallowed_loss, sale.recognized_gain) == (Decimal("-250.00"),
                                                                       Decimal("250.00"), 0)
    lots = apply_overlay(lots=realization.open_lots, overlays=analysis.overlays)
    (new_lot,) = lots
    assert new_lot.cost_basis == Decimal("1050.00")  # "your basis in the new stock ... $1,050"
    assert new_lot.overlay_basis_adjustment == Decimal("250.00")


def test_publication_550_example_1_holding_period_carried_over():
    # The sold shares were held 2025-01-02 to 2025-03-03, 60 days; the new shares' holding
    # period includes them, so it counts from 60 days before 2025-03-20.
    _, analysis = analyze(EXAMPLE_1)
    assert analysis.adjustments[0].holding_period_days == 60
    (new_lot,) = open_lots_after(EXAMPLE_1).values()
    assert new_lot.holding_period_start == date(2025, 1, 19)
    assert new_lot.long_term_from == date(2026, 1, 20)  # not 2026-03-21


# Pub 550, Wash Sales, "More or less stock bought than sold", Example 1: 100 shares bought
# September 24, sold February 3 at a $1,000 loss; 50 substantially identical shares bought on
# each of the 4 days February 11 to 14. Half the loss goes to the shares bought February 11,
# the other half to those bought February 12. (Prices are ours: $20 a share bought, $10 sold,
# $12 rebought; the publication gives the loss only.)
FEBRUARY_BUYS = [
    buy("b0", "2022-09-24", "100", "2000.00", "SEP24"),
    sell("s1", "2023-02-03", "100", "1000.00", "SEP24"),
    buy("b11", "2023-02-11", "50", "600.00", "FEB11"),
    buy("b12", "2023-02-12", "50", "600.00", "FEB12"),
    buy("b13", "2023-02-13", "50", "600.00", "FEB13"),
    buy("b14", "2023-02-14", "50", "600.00", "FEB14"),
]


def test_publication_550_more_bought_than_sold_matches_the_first_shares_bought():
    _, analysis = analyze(FEBRUARY_BUYS)
    assert [(adjustment.replacement_lot_id, adjustment.shares, adjustment.disallowed_loss)
            for adjustment in analysis.adjustments] == [("FEB11", 50, Decimal("500.00")),
                                                        ("FEB12", 50, Decimal("500.00"))]
    assert analysis.realized[0].recognized_gain == 0  # "you can't deduct your $1,000 loss"
    lots = open_lots_after(FEBRUARY_BUYS)
    # September 24 to February 3 is 132 days, carried to both replacement lots.
    assert lots[ALICE, "FEB11", 1].cost_basis == Decimal("1100.00")
    assert lots[ALICE, "FEB11", 1].holding_period_start == date(2022, 10, 2)
    assert lots[ALICE, "FEB12", 1].cost_basis == Decimal("1100.00")
    assert lots[ALICE, "FEB12", 1].holding_period_start == date(2022, 10, 3)
    for untouched in ("FEB13", "FEB14"):
        assert lots[ALICE, untouched, 0].cost_basis == Decimal("600.00")
        assert lots[ALICE, untouched, 0].holding_period_start is None


def test_fewer_shares_bought_than_sold_disallows_that_share_of_the_loss():
    # Pub 550's rule for fewer shares bought than sold, on Example 1's numbers: 75 shares bought
    # for $600 disallow 75/100 of the $250 loss, $187.50, and $62.50 stays deductible.
    rows = [*EXAMPLE_1[:2], buy("b2", "2025-03-20", "75", "600.00", "L2")]
    _, analysis = analyze(rows)
    (adjustment,) = analysis.adjustments
    assert (adjustment.shares, adjustment.disallowed_loss) == (75, Decimal("187.50"))
    (sale,) = analysis.realized
    assert (sale.washed_quantity, sale.recognized_gain) == (75, Decimal("-62.50"))
    (new_lot,) = open_lots_after(rows).values()
    assert (new_lot.quantity, new_lot.cost_basis) == (75, Decimal("787.50"))


def test_a_replacement_lot_larger_than_the_sale_is_split_into_adjusted_and_plain_shares():
    rows = [buy("b1", "2025-01-02", "50", "500.00", "L1"),
            sell("s1", "2025-03-03", "50", "400.00", "L1"),
            buy("b2", "2025-03-10", "100", "700.00", "R")]
    lots = open_lots_after(rows)
    plain, adjusted = lots[ALICE, "R", 0], lots[ALICE, "R", 1]
    assert (plain.quantity, plain.cost_basis, plain.holding_period_start) == (
        50, Decimal("350.00"), None)
    assert (adjusted.quantity, adjusted.cost_basis, adjusted.holding_period_start) == (
        50, Decimal("450.00"), date(2025, 1, 9))  # 60 days carried
    assert plain.cost_basis + adjusted.cost_basis == Decimal("800.00")


def test_the_carried_holding_period_makes_the_replacement_long_term_when_it_is_sold():
    rows = [buy("b1", "2024-01-02", "100", "1000.00", "L1"),
            sell("s1", "2025-01-03", "100", "750.00", "L1"),  # held 367 days, long-term
            buy("b2", "2025-01-10", "100", "800.00", "L2"),
            sell("s2", "2025-02-10", "100", "1100.00", "L2")]
    _, analysis = analyze(rows)
    first, second = analysis.realized
    assert first.term == "long" and first.recognized_gain == 0
    # Basis $800 + $250; held since 2025-01-10 less 367 days, so long-term a month later.
    assert (second.cost_basis, second.wash_basis_adjustment) == (Decimal("1050.00"),
                                                                 Decimal("250.00"))
    assert second.holding_period_start == date(2024, 1, 9)
    assert (second.term, second.recognized_gain) == ("long", Decimal("50.00"))


def test_a_disallowed_loss_travels_into_the_replacements_own_loss_sale():
    rows = [*EXAMPLE_1, sell("s2", "2025-06-02", "100", "700.00", "L2")]
    _, analysis = analyze(rows)
    assert [sale.recognized_gain for sale in analysis.realized] == [0, Decimal("-350.00")]
    # Paid $1,800, received $1,450: the whole economic loss is recognized, once.
    assert sum(sale.recognized_gain for sale in analysis.realized) == Decimal("-350.00")
    assert analysis.overlays == ()


def test_replacement_in_an_ira_disallows_the_loss_for_good():
    # Rev. Rul. 2008-5: the loss is disallowed and the IRA's basis is not increased.
    rows = [*EXAMPLE_1[:2], buy("b2", "2025-03-20", "100", "800.00", "IRA1", account=ALICE_IRA)]
    realization, analysis = analyze(rows)
    (adjustment,) = analysis.adjustments
    assert (adjustment.replacement_account, adjustment.disallowed_loss,
            adjustment.basis_adjustment, adjustment.holding_period_days,
            adjustment.permanently_disallowed) == (ALICE_IRA, Decimal("250.00"), 0, 0, True)
    assert analysis.permanently_disallowed_loss == Decimal("250.00")
    assert analysis.realized[0].recognized_gain == 0
    assert analysis.overlays == ()
    (ira_lot,) = apply_overlay(lots=realization.open_lots, overlays=analysis.overlays)
    assert (ira_lot.cost_basis, ira_lot.holding_period_start) == (Decimal("800.00"), None)


def test_replacement_in_a_roth_ira_counts_too():
    rows = [*EXAMPLE_1[:2], buy("b2", "2025-03-04", "40", "320.00", "ROTH1",
                                account=ALICE_ROTH)]
    _, analysis = analyze(rows)
    (adjustment,) = analysis.adjustments
    assert (adjustment.shares, adjustment.disallowed_loss) == (40, Decimal("100.00"))
    assert adjustment.permanently_disallowed


def test_a_loss_inside_an_ira_is_never_a_wash_sale():
    rows = [buy("b1", "2025-01-02", "100", "1000.00", "IRA1", account=ALICE_IRA),
            sell("s1", "2025-03-03", "100", "750.00", "IRA1", account=ALICE_IRA),
            buy("b2", "2025-03-04", "100", "800.00", "L2")]
    _, analysis = analyze(rows)
    assert analysis.adjustments == ()
    assert analysis.overlays == ()


def test_dividend_reinvestment_triggers_a_partial_wash_sale():
    rows = [sell("s1", "2025-06-02", "100", "4500.00", "L1"),
            buy("d1", "2025-06-16", "2.5", "112.50", "DRIP1",
                kind=TransactionType.DIVIDEND_REINVESTMENT)]
    lots = [held("L1", "100", "5000.00", "2024-06-03")]
    _, analysis = analyze(rows, lots=lots)
    (adjustment,) = analysis.adjustments
    # 2.5 of 100 shares replaced: 2.5% of the $500 loss.
    assert (adjustment.shares, adjustment.disallowed_loss) == (Decimal("2.5"), Decimal("12.50"))
    assert analysis.realized[0].recognized_gain == Decimal("-487.50")
    (drip,) = open_lots_after(rows, lots=lots).values()
    assert drip.cost_basis == Decimal("125.00")
    assert drip.holding_period_start == date(2024, 6, 17)  # 364 days before 2025-06-16


def test_a_spouses_purchase_washes_and_a_strangers_does_not():
    rows = [*EXAMPLE_1[:2],
            buy("c1", "2025-03-10", "100", "800.00", "C1", account=CHARLIE),
            buy("b2", "2025-03-20", "100", "800.00", "B1", account=BOB)]
    _, analysis = analyze(rows)
    (adjustment,) = analysis.adjustments
    assert (adjustment.replacement_account, adjustment.replacement_lot_id) == (BOB, "B1")
    lots = open_lots_after(rows)
    assert lots[BOB, "B1", 1].cost_basis == Decimal("1050.00")
    assert lots[CHARLIE, "C1", 0].cost_basis == Decimal("800.00")


def test_another_share_class_of_the_same_fund_is_substantially_identical():
    rows = [buy("b1", "2025-01-02", "100", "1000.00", "L1", security="FUND-INVESTOR"),
            sell("s1", "2025-03-03", "100", "750.00", "L1", security="FUND-INVESTOR"),
            buy("b2", "2025-03-05", "100", "800.00", "OTHER", security="OTHER-FUND"),
            buy("b3", "2025-03-06", "100", "800.00", "ADM", security="FUND-ADMIRAL")]
    _, analysis = analyze(rows, groups=SHARE_CLASSES)
    assert [(adjustment.replacement_lot_id, adjustment.disallowed_loss)
            for adjustment in analysis.adjustments] == [("ADM", Decimal("250.00"))]
    assert identical_key("FUND-ADMIRAL", SHARE_CLASSES) == "fund-500"
    assert identical_key("OTHER-FUND", SHARE_CLASSES) == "OTHER-FUND"


@pytest.mark.parametrize(("days", "washed"), [(30, True), (31, False), (-30, True),
                                              (-31, False), (0, True)])
def test_the_window_is_30_days_either_side_of_the_sale(days, washed):
    sale_day = date(2025, 3, 3)
    replacement_day = (sale_day + timedelta(days=days)).isoformat()
    rows = [sell("s1", sale_day.isoformat(), "100", "750.00", "L1"),
            buy("b2", replacement_day, "100", "800.00", "L2")]
    _, analysis = analyze(rows, lots=[held("L1", "100", "1000.00", "2024-01-02")])
    assert bool(analysis.adjustments) is washed


def test_a_gain_is_never_a_wash_sale():
    rows = [EXAMPLE_1[0], sell("s1", "2025-03-03", "100", "1200.00", "L1"), EXAMPLE_1[2]]
    _, analysis = analyze(rows)
    assert analysis.adjustments == ()
    assert analysis.realized[0].recognized_gain == Decimal("200.00")


def test_replacement_shares_are_used_once_across_sales_taken_in_date_order():
    lots = [held("LA", "100", "1000.00", "2024-12-02"), held("LB", "100", "1000.00", "2024-12-03")]
    rows = [sell("s2", "2025-03-10", "100", "700.00", "LB"),   # listed first, sold second
            buy("p2", "2025-03-12", "100", "780.00", "P2"),
            sell("s1", "2025-03-03", "100", "800.00", "LA"),
            buy("p1", "2025-03-05", "60", "480.00", "P1")]
    _, analysis = analyze(rows, lots=lots)
    # The March 3 sale ($200 loss) takes the 60 shares of March 5 and 40 of March 12; the
    # March 10 sale ($300 loss) finds March 5 used up and gets the other 60 of March 12.
    assert [(adjustment.loss_sale_transaction_id, adjustment.replacement_lot_id,
             adjustment.shares, adjustment.disallowed_loss)
            for adjustment in analysis.adjustments] == [
        ("s1", "P1", 60, Decimal("120.00")),
        ("s1", "P2", 40, Decimal("80.00")),
        ("s2", "P2", 60, Decimal("180.00")),
    ]
    by_sale = {sale.sale_transaction_id: sale for sale in analysis.realized}
    assert by_sale["s1"].recognized_gain == 0
    assert by_sale["s2"].recognized_gain == Decimal("-120.00")
    adjusted = open_lots_after(rows, lots=lots)
    assert adjusted[ALICE, "P1", 1].cost_basis == Decimal("600.00")
    # P2 carries two holding periods: 91 days from LA on 40 shares, 97 from LB on 60.
    assert (adjusted[ALICE, "P2", 1].quantity, adjusted[ALICE, "P2", 1].cost_basis,
            adjusted[ALICE, "P2", 1].holding_period_start) == (40, Decimal("392.00"),
                                                               date(2024, 12, 11))
    assert (adjusted[ALICE, "P2", 2].quantity, adjusted[ALICE, "P2", 2].cost_basis,
            adjusted[ALICE, "P2", 2].holding_period_start) == (60, Decimal("648.00"),
                                                               date(2024, 12, 5))
    assert (ALICE, "P2", 0) not in adjusted


def test_the_lot_sold_is_not_its_own_replacement():
    rows = [buy("b1", "2025-03-01", "100", "1000.00", "L1"),
            sell("s1", "2025-03-10", "100", "900.00", "L1")]
    assert analyze(rows)[1].adjustments == ()


def test_shares_sold_in_the_same_sale_do_not_replace_each_other():
    lots = [held("LA", "100", "1000.00", "2024-01-02")]
    bought = buy("b1", "2025-03-01", "100", "1000.00", "LB")
    # Both lots sold at a loss in one sale: nothing is left to be a replacement.
    assert analyze([bought, sell("s1", "2025-03-10", "200", "1600.00")],
                   lots=lots)[1].adjustments == ()
    # Half of LB kept: those 50 shares, bought within 30 days, replace 50 of LA's.
    _, analysis = analyze([bought, sell("s1", "2025-03-10", "150", "1200.00")], lots=lots)
    (adjustment,) = analysis.adjustments
    assert (adjustment.loss_sale_lot_id, adjustment.replacement_lot_id, adjustment.shares,
            adjustment.disallowed_loss) == ("LA", "LB", 50, Decimal("100.00"))


def test_a_purchase_sold_before_the_loss_sale_is_no_replacement():
    rows = [buy("b1", "2025-03-01", "100", "900.00", "R"),
            sell("s0", "2025-03-05", "100", "950.00", "R"),
            sell("s1", "2025-03-10", "100", "800.00", "L1")]
    _, analysis = analyze(rows, lots=[held("L1", "100", "1000.00", "2024-01-02")])
    assert analysis.adjustments == ()


def test_a_cancelled_purchase_washes_nothing():
    rows = [*EXAMPLE_1, Transaction(transaction_id="b2x", account=ALICE,
                                    trade_date=date(2025, 3, 21), type=TransactionType.BUY,
                                    cancels="b2")]
    assert analyze(rows)[1].adjustments == ()


def test_an_account_without_a_tax_profile_fails_closed():
    rows = [buy("b1", "2025-03-01", "1", "10.00", "L1", account="nobody")]
    with pytest.raises(ValueError, match="no tax profile"):
        find_wash_sales(accounts=ACCOUNTS, transactions=rows, realized=[], identical_groups={})
    with pytest.raises(ValueError, match="no tax profile"):
        windows(rows, "2025-03-10")


# --- never applied twice -----------------------------------------------------------------------


def test_overlay_to_apply_is_computed_minus_what_the_custodian_applied_never_negative():
    custodian_lot = held("L2", "100", "1050.00", "2025-03-20", adjustment="250.00")
    assert basis_overlay_to_apply(lot=custodian_lot, computed_adjustment=Decimal("250.00")) == 0
    assert basis_overlay_to_apply(lot=custodian_lot,
                                  computed_adjustment=Decimal("400.00")) == Decimal("150.00")
    assert basis_overlay_to_apply(lot=custodian_lot, computed_adjustment=Decimal("100.00")) == 0


def test_a_lot_the_custodian_already_adjusted_is_not_adjusted_again():
    _, analysis = analyze(EXAMPLE_1)
    # The next day's tax_lots file: the custodian saw the same-account wash sale and carried
    # both the $250 and the 60 days itself.
    custodian_lot = held("L2", "100", "1050.00", "2025-03-20", start="2025-01-19",
                         adjustment="250.00")
    for _ in range(2):  # the nightly run, twice over the same snapshot
        (lot,) = apply_overlay(lots=[custodian_lot], overlays=analysis.overlays)
        assert (lot.cost_basis, lot.overlay_basis_adjustment) == (Decimal("1050.00"), 0)
        assert lot.holding_period_start == date(2025, 1, 19)


def test_only_what_the_custodian_missed_is_added():
    # Alice's custodian washes $125 against her own 50-share purchase; it cannot see Bob's.
    rows = [*EXAMPLE_1[:2],
            buy("b2", "2025-03-10", "50", "400.00", "L2"),
            buy("b3", "2025-03-12", "50", "400.00", "B1", account=BOB)]
    _, analysis = analyze(rows)
    assert [(adjustment.replacement_account, adjustment.disallowed_loss)
            for adjustment in analysis.adjustments] == [(ALICE, Decimal("125.00")),
                                                        (BOB, Decimal("125.00"))]
    custodian_lots = [held("L2", "50", "525.00", "2025-03-10", start="2025-01-09",
                           adjustment="125.00"),
                      held("B1", "50", "400.00", "2025-03-12", account=BOB)]
    adjusted = {(lot.account, lot.lot_id): lot
                for lot in apply_overlay(lots=custodian_lots, overlays=analysis.overlays)}
    assert adjusted[ALICE, "L2"].cost_basis == Decimal("525.00")
    assert adjusted[BOB, "B1"].cost_basis == Decimal("525.00")
    assert adjusted[BOB, "B1"].holding_period_start == date(2025, 1, 11)  # 60 days


def test_a_custodian_adjustment_short_of_the_engines_gets_the_difference():
    _, analysis = analyze(EXAMPLE_1)
    custodian_lot = held("L2", "100", "900.00", "2025-03-20", adjustment="100.00")
    (lot,) = apply_overlay(lots=[custodian_lot], overlays=analysis.overlays)
    assert (lot.cost_basis, lot.overlay_basis_adjustment) == (Decimal("1050.00"),
                                                              Decimal("150.00"))


def test_a_realized_sale_of_a_lot_the_custodian_adjusted_does_not_count_it_twice():
    # The replacement lot came in a snapshot with the custodian's $250 already in its basis.
    rows = [*EXAMPLE_1, sell("s2", "2025-06-02", "100", "700.00", "L2")]
    realization = realize(
        lots=[held("L1", "100", "1000.00", "2025-01-02")],
        transactions=rows[1:2])
    snapshot_lot = held("L2", "100", "1050.00", "2025-03-20", start="2025-01-19",
                        adjustment="250.00")
    later = realize(lots=[snapshot_lot], transactions=rows[3:])
    analysis = find_wash_sales(accounts=ACCOUNTS, transactions=rows,
                               realized=[*realization.realized, *later.realized],
                               identical_groups={})
    assert [sale.recognized_gain for sale in analysis.realized] == [0, Decimal("-350.00")]


# --- windows for the optimizer -----------------------------------------------------------------


def windows(rows, as_of, *, lots=(), groups=None, entity="alice-and-bob"):
    realization = realize(lots=lots, transactions=rows)
    return wash_sale_windows(tax_entity=entity, accounts=ACCOUNTS, transactions=rows,
                             realized=realization.realized, identical_groups=groups or {},
                             as_of=date.fromisoformat(as_of))


def test_a_recent_loss_sale_blocks_buys_for_30_days_in_every_account_of_the_entity():
    rows = EXAMPLE_1[:2]
    (window,) = windows(rows, "2025-03-10").values()
    assert (window.key, window.buy_blocked_until) == ("XYZ", date(2025, 4, 2))
    assert window.loss_sale_blocked_until is None
    assert windows(rows, "2025-04-02")["XYZ"].buy_blocked_until == date(2025, 4, 2)
    assert windows(rows, "2025-04-03") == {}
    assert windows(rows, "2025-03-10", entity="charlie") == {}


def test_a_loss_already_fully_washed_blocks_no_more_buys():
    assert windows(EXAMPLE_1, "2025-03-21") == {}


def test_a_recent_purchase_blocks_loss_sales_of_other_lots_for_30_days():
    rows = [buy("b1", "2025-03-05", "10", "100.00", "IRA1", account=ALICE_IRA)]
    (window,) = windows(rows, "2025-03-10").values()
    assert window.buy_blocked_until is None
    assert window.loss_sale_blocked_until == date(2025, 4, 4)
    assert window.loss_sale_blocked_until_for(account=ALICE, lot_id="OLD") == date(2025, 4, 4)
    # A lot is not washed by its own purchase.
    assert window.loss_sale_blocked_until_for(account=ALICE_IRA, lot_id="IRA1") is None
    assert windows(rows, "2025-04-05") == {}


def test_windows_are_keyed_by_identical_group():
    rows = [buy("b1", "2025-01-02", "100", "1000.00", "L1", security="FUND-INVESTOR"),
            sell("s1", "2025-03-03", "100", "750.00", "L1", security="FUND-INVESTOR")]
    result = windows(rows, "2025-03-10", groups=SHARE_CLASSES)
    assert result[identical_key("FUND-ADMIRAL", SHARE_CLASSES)].buy_blocked_until == date(
        2025, 4, 2)


def test_the_engine_is_pure():
    # No Django, no settings, no database: the optimizer and benchmarks import it bare.
    code = ("import sys, accounts.tax.wash_sales; "
            "sys.exit(any(name.split('.')[0] in ('django', 'rebal') for name in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
