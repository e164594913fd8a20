"""Corporate actions on tax lots, against the issuers' own figures (../shared/data/README.md).

Every expected figure below is worked by hand in the comment beside it.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.tax.corporate_actions import (
    NEW_SECURITY,
    SHARE_CHANGES,
    ActionType,
    CorporateActionTerms,
    IncompleteActionError,
    TaxTreatment,
    apply_action,
    split_amount,
)
from accounts.tax.holding_period import term
from accounts.tax.realized import Lot

D = Decimal
SPLITS_CSV = Path(__file__).resolve().parents[3] / "demo" / "data" / "splits_2015_2025.csv"


def lot(account: str, lot_id: str, security: str, quantity: str, basis: str, acquired: date,
        start: date | None = None) -> Lot:
    return Lot(account=account, lot_id=lot_id, security=security, quantity=D(quantity),
               cost_basis=D(basis), acquired_date=acquired, holding_period_start=start)


def only(outcomes):
    assert len(outcomes) == 1
    assert outcomes[0].balances()
    return outcomes[0]


def by_security(lots):
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for one in lots:
        quantity, basis = totals.get(one.security, (D(0), D(0)))
        totals[one.security] = (quantity + one.quantity, basis + one.cost_basis)
    return totals


def test_aapl_four_for_one_keeps_basis_and_holding_period():
    # Apple 4-for-1: shares distributed 2020-08-28, split-adjusted trading (ex-date) 2020-08-31.
    terms = CorporateActionTerms("AAPL-2020", ActionType.SPLIT, date(2020, 8, 31), "AAPL",
                                 ratio_from=D(1), ratio_to=D(4))
    outcome = only(apply_action(terms, [
        lot("A-1", "L1", "AAPL", "100", "31000.00", date(2019, 1, 2)),
        lot("A-1", "L2", "AAPL", "15", "7350.45", date(2020, 3, 16)),
        lot("A-1", "L3", "MSFT", "10", "1500.00", date(2020, 1, 2)),  # untouched
    ]))
    after = {one.lot_id: one for one in outcome.lots_after}
    assert set(after) == {"L1", "L2"}
    # 100 × 4 = 400 shares at 31,000.00 / 400 = 77.50; 15 × 4 = 60 at 7,350.45.
    assert (after["L1"].quantity, after["L1"].cost_basis) == (D(400), D("31000.00"))
    assert after["L1"].cost_basis / after["L1"].quantity == D("77.5")
    assert (after["L2"].quantity, after["L2"].cost_basis) == (D(60), D("7350.45"))
    assert after["L2"].acquired_date == date(2020, 3, 16)
    assert outcome.realized == () and outcome.cash == ()
    assert terms.price_factor == Fraction(1, 4)


def test_ge_one_for_eight_pays_the_fraction_in_cash_and_realizes_it():
    # GE 1-for-8 reverse split, split-adjusted trading 2021-08-02, cash in lieu of fractions.
    # 100 + 45 = 145 old shares → 18.125 new: 18 kept, 0.125 sold. The test's price for the
    # fraction is 104.40 per new share: cash = 0.125 × 104.40 = 13.05.
    terms = CorporateActionTerms("GE-2021", ActionType.REVERSE_SPLIT, date(2021, 8, 2), "GE",
                                 ratio_from=D(8), ratio_to=D(1), cash_in_lieu=True,
                                 cash_in_lieu_price=D("104.40"))
    outcome = only(apply_action(terms, [
        lot("B-1", "L1", "GE", "100", "1040.00", date(2015, 6, 1)),
        lot("B-1", "L2", "GE", "45", "585.00", date(2021, 2, 1)),
    ]))
    quantity, basis = by_security(outcome.lots_after)["GE"]
    assert quantity == D(18)
    assert outcome.cash_received == D("13.05")
    # Each lot gives up 0.125/18.125 of itself: L1 1,040.00 × 0.125/18.125 = 7.172… → 7.17;
    # L2 585.00 × 0.125/18.125 = 4.034… → 4.03. Basis relieved 11.20, kept 1,625.00 − 11.20.
    relieved = {piece.lot_id: piece for piece in outcome.realized}
    assert relieved["L1"].cost_basis == D("7.17") and relieved["L2"].cost_basis == D("4.03")
    assert basis == D("1613.80")
    # Proceeds 13.05 split by new shares 12.5 : 5.625 → 9.00 and 4.05; gains 1.83 and 0.02,
    # long-term on the 2015 lot, short-term on the February 2021 lot.
    assert (relieved["L1"].proceeds, relieved["L2"].proceeds) == (D("9.00"), D("4.05"))
    assert relieved["L1"].gain == D("1.83") and relieved["L1"].term == "long"
    assert relieved["L2"].gain == D("0.02") and relieved["L2"].term == "short"


def test_fb_to_meta_changes_nothing_held():
    # FB → META on 2022-06-09, CUSIP unchanged: the lots stay exactly as they were.
    terms = CorporateActionTerms("FB-META", ActionType.TICKER_CHANGE, date(2022, 6, 9), "FB")
    before = [lot("A-1", "L1", "FB", "30", "5400.00", date(2018, 5, 1))]
    outcome = only(apply_action(terms, before))
    assert outcome.lots_after == tuple(before) and outcome.realized == ()


def test_abbott_abbvie_basis_split_by_the_issuers_percentages():
    # 1 ABBV per ABT on 2013-01-01; basis 47.9751% ABT / 52.0249% ABBV (Form 8937).
    terms = CorporateActionTerms("ABBV-2013", ActionType.SPINOFF, date(2013, 1, 1), "ABT",
                                 new_security="ABBV", ratio_from=D(1), ratio_to=D(1),
                                 basis_allocation_pct=D("52.0249"))
    outcome = only(apply_action(terms, [
        lot("C-1", "L1", "ABT", "100", "4000.00", date(2010, 3, 1)),
        lot("C-1", "L2", "ABT", "10", "655.55", date(2012, 11, 15)),
    ]))
    after = {(one.security, one.acquired_date): one for one in outcome.lots_after}
    # 4,000.00 × 47.9751% = 1,919.004 → 1,919.00; ABBV takes the remainder, 2,081.00.
    assert after["ABT", date(2010, 3, 1)].cost_basis == D("1919.00")
    assert after["ABBV", date(2010, 3, 1)].cost_basis == D("2081.00")
    assert after["ABBV", date(2010, 3, 1)].quantity == D(100)
    # 655.55 × 47.9751% = 314.500… → 314.50; ABBV 341.05.
    assert after["ABT", date(2012, 11, 15)].cost_basis == D("314.50")
    assert after["ABBV", date(2012, 11, 15)].cost_basis == D("341.05")
    # The holding period carries over: the ABBV shares from the 2012-11-15 lot are long-term
    # on 2013-11-16, not a year after the distribution.
    abbv = after["ABBV", date(2012, 11, 15)]
    assert term(abbv.acquired_date, date(2013, 11, 16), abbv.holding_period_start) == "long"
    assert outcome.cash == ()


def test_kraft_one_for_three_with_cash_in_lieu_at_45_574():
    # Kraft Foods Inc. (MDLZ) → Kraft Foods Group (KRFT), 2012-10-01: 1 KRFT per 3 MDLZ;
    # basis 64.91% MDLZ / 35.09% KRFT; fractional KRFT paid at 45.574 per share.
    terms = CorporateActionTerms("KRFT-2012", ActionType.SPINOFF, date(2012, 10, 1), "MDLZ",
                                 new_security="KRFT", ratio_from=D(3), ratio_to=D(1),
                                 basis_allocation_pct=D("35.09"), cash_in_lieu=True,
                                 cash_in_lieu_price=D("45.574"))
    outcome = only(apply_action(terms, [
        lot("D-1", "L1", "MDLZ", "100", "3000.00", date(2009, 4, 1))]))
    totals = by_security(outcome.lots_after)
    # MDLZ keeps 3,000.00 × 64.91% = 1,947.30; KRFT gets 1,052.70 for 33⅓ shares.
    assert totals["MDLZ"] == (D(100), D("1947.30"))
    # 33 whole KRFT kept; ⅓ share paid: 45.574 / 3 = 15.191… → 15.19. Its basis is
    # 1,052.70 × (⅓ / 33⅓) = 10.527 → 10.53, so 1,042.17 stays and the gain is 4.66.
    assert totals["KRFT"] == (D(33), D("1042.17"))
    assert outcome.cash_received == D("15.19")
    [fraction] = outcome.realized
    assert (fraction.cost_basis, fraction.gain, fraction.term) == (D("10.53"), D("4.66"), "long")


def test_fractions_are_per_position_not_per_lot():
    # Two lots of 50 MDLZ: 16⅔ KRFT each, 33⅓ together: one ⅓ share is paid, not two ⅔.
    terms = CorporateActionTerms("KRFT-2012", ActionType.SPINOFF, date(2012, 10, 1), "MDLZ",
                                 new_security="KRFT", ratio_from=D(3), ratio_to=D(1),
                                 basis_allocation_pct=D("35.09"), cash_in_lieu=True,
                                 cash_in_lieu_price=D("45.574"))
    outcome = only(apply_action(terms, [
        lot("D-2", "L1", "MDLZ", "50", "1500.00", date(2009, 4, 1)),
        lot("D-2", "L2", "MDLZ", "50", "1500.00", date(2012, 5, 1))]))
    assert by_security(outcome.lots_after)["KRFT"][0] == D(33)
    assert outcome.cash_received == D("15.19")
    # The fraction's pieces keep their own lots' terms: long for 2009, short for May 2012.
    assert sorted(piece.term for piece in outcome.realized) == ["long", "short"]


def test_cash_merger_is_a_sale_that_closes_the_lots():
    terms = CorporateActionTerms("TWTR-2022", ActionType.CASH_MERGER, date(2022, 10, 28), "TWTR",
                                 cash_per_share=D("54.20"))
    outcome = only(apply_action(terms, [
        lot("E-1", "L1", "TWTR", "100", "3000.00", date(2015, 1, 5)),
        lot("E-1", "L2", "TWTR", "40", "2600.00", date(2022, 4, 4))]))
    assert outcome.lots_after == ()
    sold = {piece.lot_id: piece for piece in outcome.realized}
    # 100 × 54.20 = 5,420.00, gain 2,420.00 long; 40 × 54.20 = 2,168.00, loss 432.00 short.
    assert (sold["L1"].proceeds, sold["L1"].gain, sold["L1"].term) == (
        D("5420.00"), D("2420.00"), "long")
    assert (sold["L2"].proceeds, sold["L2"].gain, sold["L2"].term) == (
        D("2168.00"), D("-432.00"), "short")
    assert outcome.cash_received == D("7588.00") and outcome.basis_relieved == D("5600.00")


def test_stock_merger_at_a_non_integer_ratio():
    # 0.7123 new per old share, fractions paid at 55.10.
    terms = CorporateActionTerms("MRG-1", ActionType.STOCK_MERGER, date(2024, 3, 1), "OLD",
                                 new_security="NEW", ratio_from=D(10000), ratio_to=D(7123),
                                 cash_in_lieu=True, cash_in_lieu_price=D("55.10"))
    outcome = only(apply_action(terms, [
        lot("F-1", "L1", "OLD", "100", "5000.00", date(2020, 1, 2)),
        lot("F-1", "L2", "OLD", "33", "2000.00", date(2023, 9, 1))]))
    # 71.23 + 23.5059 = 94.7359 NEW: 94 kept, 0.7359 paid: 0.7359 × 55.10 = 40.548… → 40.55.
    quantity, basis = by_security(outcome.lots_after)["NEW"]
    assert quantity == D(94) and outcome.cash_received == D("40.55")
    # Basis of the fraction: 5,000.00 × 0.7359/94.7359 = 38.839… → 38.84 and
    # 2,000.00 × 0.7359/94.7359 = 15.535… → 15.54; the rest carries over.
    assert sorted(piece.cost_basis for piece in outcome.realized) == [D("15.54"), D("38.84")]
    assert basis == D("7000.00") - D("38.84") - D("15.54")
    assert {one.security for one in outcome.lots_after} == {"NEW"}
    assert {one.acquired_date for one in outcome.lots_after} == {date(2020, 1, 2),
                                                                 date(2023, 9, 1)}


def test_cash_and_stock_reorganization_recognizes_gain_up_to_the_cash_and_no_loss():
    # Per old share: 0.5 NEW (worth 60.00 each, so 30.00) and 10.00 cash.
    terms = CorporateActionTerms("CSM-1", ActionType.CASH_STOCK_MERGER, date(2024, 6, 3), "OLD",
                                 new_security="NEW", ratio_from=D(2), ratio_to=D(1),
                                 cash_per_share=D("10.00"), new_share_value=D("60.00"),
                                 tax_treatment=TaxTreatment.REORGANIZATION)
    outcome = only(apply_action(terms, [
        lot("G-1", "GAIN", "OLD", "100", "2000.00", date(2018, 1, 2)),
        lot("G-1", "LOSS", "OLD", "100", "5000.00", date(2019, 1, 2)),
        lot("G-1", "SOME", "OLD", "100", "3500.00", date(2020, 1, 2))]))
    cash = {piece.lot_id: piece for piece in outcome.realized}
    after = {one.lot_id: one for one in outcome.lots_after}
    # GAIN: realized 3,000 + 1,000 − 2,000 = 2,000; recognized min(2,000, 1,000) = 1,000;
    # basis 2,000 − 1,000 + 1,000 = 2,000.
    assert cash["GAIN"].gain == D("1000.00") and after["GAIN"].cost_basis == D("2000.00")
    # LOSS: realized 4,000 − 5,000 = −1,000: no loss recognized; basis 5,000 − 1,000 = 4,000.
    assert cash["LOSS"].gain == D(0) and after["LOSS"].cost_basis == D("4000.00")
    # SOME: realized 4,000 − 3,500 = 500, all recognized; basis 3,500 − 1,000 + 500 = 3,000.
    assert cash["SOME"].gain == D("500.00") and after["SOME"].cost_basis == D("3000.00")
    assert {one.quantity for one in after.values()} == {D(50)}
    assert outcome.cash_received == D("3000.00")


def test_taxable_cash_and_stock_merger_is_a_sale_and_a_purchase_at_value():
    terms = CorporateActionTerms("CSM-2", ActionType.CASH_STOCK_MERGER, date(2024, 6, 3), "OLD",
                                 new_security="NEW", ratio_from=D(2), ratio_to=D(1),
                                 cash_per_share=D("10.00"), new_share_value=D("60.00"),
                                 tax_treatment=TaxTreatment.TAXABLE)
    outcome = only(apply_action(terms, [
        lot("G-2", "LOSS", "OLD", "100", "5000.00", date(2019, 1, 2))]))
    [sale] = outcome.realized
    # Proceeds 1,000 cash + 50 × 60.00 = 4,000.00; the loss of 1,000.00 is realized.
    assert (sale.proceeds, sale.gain) == (D("4000.00"), D("-1000.00"))
    [new] = outcome.lots_after
    assert (new.quantity, new.cost_basis, new.acquired_date) == (
        D(50), D("3000.00"), date(2024, 6, 3))


def test_delisting_realizes_nothing():
    terms = CorporateActionTerms("DL-1", ActionType.DELISTING, date(2024, 1, 2), "GONE")
    before = [lot("H-1", "L1", "GONE", "10", "100.00", date(2020, 1, 2))]
    outcome = only(apply_action(terms, before))
    assert outcome.lots_after == tuple(before) and outcome.realized == () and not outcome.cash


def test_an_incomplete_action_names_what_it_lacks():
    terms = CorporateActionTerms("SP-X", ActionType.SPINOFF, date(2024, 1, 2), "OLD",
                                 new_security="NEW", ratio_from=D(1), ratio_to=D(1),
                                 cash_in_lieu=True)
    with pytest.raises(IncompleteActionError, match="basis_allocation_pct, cash_in_lieu_price"):
        apply_action(terms, [])


def test_stock_dividend_counts_additional_shares():
    # A 5% stock dividend: 5 new shares per 100 held, so 100 becomes 105.
    terms = CorporateActionTerms("SD-1", ActionType.STOCK_DIVIDEND, date(2024, 1, 2), "X",
                                 ratio_from=D(100), ratio_to=D(5))
    outcome = only(apply_action(terms, [lot("I-1", "L1", "X", "100", "2100.00",
                                            date(2020, 1, 2))]))
    assert [(one.quantity, one.cost_basis) for one in outcome.lots_after] == [
        (D(105), D("2100.00"))]


def _splits():
    with SPLITS_CSV.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_splits_file_has_all_136_real_splits():
    rows = _splits()
    assert len(rows) == 136
    assert sum(int(row["ratioNew"]) < int(row["ratioOld"]) for row in rows) == 40


@pytest.mark.parametrize("row", _splits(), ids=lambda row: f"{row['symbol']}-{row['date']}")
def test_every_real_split_on_generated_positions(row):
    ratio = Fraction(int(row["ratioNew"]), int(row["ratioOld"]))
    kind = ActionType.REVERSE_SPLIT if ratio < 1 else ActionType.SPLIT
    terms = CorporateActionTerms(f"{row['symbol']}-{row['date']}", kind,
                                 date.fromisoformat(row["date"]), row["symbol"],
                                 ratio_from=D(row["ratioOld"]), ratio_to=D(row["ratioNew"]),
                                 cash_in_lieu=True, cash_in_lieu_price=D("12.34"))
    generator = random.Random(row["symbol"] + row["date"])
    lots = [lot(f"A-{account}", f"L{index}", row["symbol"], str(generator.randint(1, 5000)),
                f"{generator.randint(100, 5_000_000) / 100:.2f}",
                date(2010 + index, 1 + account % 12, 1))
            for account in range(5) for index in range(generator.randint(1, 4))]
    outcomes = apply_action(terms, lots)
    for outcome in outcomes:
        assert outcome.balances()
        old_shares = sum((Fraction(one.quantity) for one in outcome.lots_before), Fraction(0))
        quantity, basis = by_security(outcome.lots_after).get(row["symbol"], (D(0), D(0)))
        exact = old_shares * ratio
        assert quantity == int(exact)  # whole shares kept, the fraction paid in cash
        assert basis + outcome.basis_relieved == outcome.basis_before
        fraction = exact - int(exact)
        assert outcome.cash_received == (
            D(0) if not fraction else (D(fraction.numerator) * D("12.34")
                                       / D(fraction.denominator)).quantize(D("0.01"),
                                                                           "ROUND_HALF_UP"))
        # Per-share basis stays the old per-share basis divided by the ratio: to the cent, plus
        # what rounding a lot's share count to six decimals can move at that per-share basis.
        sources = {one.lot_id: one for one in outcome.lots_before}
        for one in outcome.lots_after:
            source = sources[one.lot_id]
            per_share = Fraction(source.cost_basis) / (Fraction(source.quantity) * ratio)
            assert abs(Fraction(one.cost_basis) - per_share * Fraction(one.quantity)) <= (
                Fraction(1, 100) + per_share * Fraction(1, 2_000_000))


def test_split_amount_puts_the_remainder_on_the_last_part():
    assert split_amount(D("100.00"), [Fraction(1), Fraction(1), Fraction(1)]) == [
        D("33.33"), D("33.34"), D("33.33")]
    assert split_amount(D("0.05"), [Fraction(1), Fraction(1)]) == [D("0.03"), D("0.02")]


ACTIONS = st.sampled_from([
    dict(type=ActionType.SPLIT, ratio_from=D(2), ratio_to=D(7)),
    dict(type=ActionType.REVERSE_SPLIT, ratio_from=D(15), ratio_to=D(1)),
    dict(type=ActionType.STOCK_DIVIDEND, ratio_from=D(100), ratio_to=D(3)),
    dict(type=ActionType.SPINOFF, new_security="NEW", ratio_from=D(3), ratio_to=D(2),
         basis_allocation_pct=D("35.0917")),
    dict(type=ActionType.STOCK_MERGER, new_security="NEW", ratio_from=D(10000),
         ratio_to=D(13377)),
    dict(type=ActionType.STOCK_MERGER, new_security="NEW", ratio_from=D(3), ratio_to=D(1),
         tax_treatment=TaxTreatment.TAXABLE, new_share_value=D("41.17")),
    dict(type=ActionType.CASH_MERGER, cash_per_share=D("33.333")),
    dict(type=ActionType.CASH_STOCK_MERGER, new_security="NEW", ratio_from=D(7),
         ratio_to=D(3), cash_per_share=D("4.17"), new_share_value=D("23.45")),
    dict(type=ActionType.CASH_STOCK_MERGER, new_security="NEW", ratio_from=D(7),
         ratio_to=D(3), cash_per_share=D("4.17"), new_share_value=D("23.45"),
         tax_treatment=TaxTreatment.TAXABLE),
    dict(type=ActionType.CUSIP_CHANGE),
    dict(type=ActionType.DELISTING),
])
LOTS = st.lists(st.tuples(st.integers(0, 2), st.decimals("0.000001", "100000", places=6),
                          st.decimals("0", "1000000", places=2)), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(action=ACTIONS, lots=LOTS, cash_in_lieu=st.booleans())
def test_basis_is_conserved_exactly_for_every_action(action, lots, cash_in_lieu):
    terms = CorporateActionTerms("P-1", effective_date=date(2024, 5, 1), old_security="OLD",
                                 cash_in_lieu=cash_in_lieu, cash_in_lieu_price=D("17.89"),
                                 **action)
    held = [Lot(account=f"A-{account}", lot_id=f"L{index}", security="OLD", quantity=quantity,
                cost_basis=basis, acquired_date=date(2020, 1, 1))
            for index, (account, quantity, basis) in enumerate(lots)]
    for outcome in apply_action(terms, held):
        assert outcome.balances()
        assert all(one.cost_basis >= 0 and one.quantity >= 0 for one in outcome.lots_after)
        assert all(one.quantity == one.quantity.quantize(D("0.000001"))
                   for one in outcome.lots_after)
        # With cash in lieu, the position of the shares the action creates is whole.
        created = ("NEW" if terms.type in NEW_SECURITY
                   else "OLD" if terms.type in SHARE_CHANGES else None)
        if cash_in_lieu and created in by_security(outcome.lots_after):
            quantity = by_security(outcome.lots_after)[created][0]
            assert quantity == quantity.to_integral_value()
