"""The taxes-saved method on hand-computed accounts (the arithmetic is written out beside each
assertion). Rates throughout: federal 37% short / 20% long, state 5%, NIIT 3.8%:
short-term 45.8%, long-term 28.8%; the difference in rate is 17%."""

from __future__ import annotations

from decimal import Decimal as D

from reports.taxes_saved import Carryforward, Rates, Realized, taxes_saved, year_tax

RATES = Rates.from_settings({"federal_short_term_rate": D(37), "federal_long_term_rate": D(20),
                             "state_short_term_rate": D(5), "state_long_term_rate": D(5),
                             "net_investment_income_tax": True})


def test_rates_combine_federal_state_and_niit():
    assert (RATES.short_term, RATES.long_term) == (D("0.458"), D("0.288"))
    no_niit = Rates.from_settings({"federal_short_term_rate": D(37),
                                   "federal_long_term_rate": D(20),
                                   "state_short_term_rate": D(0), "state_long_term_rate": D(0),
                                   "net_investment_income_tax": False})
    assert (no_niit.short_term, no_niit.long_term) == (D("0.37"), D("0.2"))


def test_gains_postponed_are_deferred_and_short_term_avoided_is_saved():
    # tax-aware: LT +10,000 → 10,000 × 28.8% = 2,880
    # naive: ST +20,000, LT +30,000 → 9,160 + 8,640 = 17,800; saved 14,920
    # net taxed 50,000 − 10,000 = 40,000 postponed × 28.8% = 11,520 deferred
    # permanent 14,920 − 11,520 = 3,400 = 20,000 short-term avoided × 17%
    saved = taxes_saved([(Realized(D(0), D(10000)), Realized(D(20000), D(30000)))],
                        rates=RATES, filing_status="single")
    assert (saved.tax_aware, saved.tax_naive, saved.saved) == (D("2880.00"), D("17800.00"),
                                                               D("14920.00"))
    assert (saved.deferred, saved.permanent) == (D("11520.00"), D("3400.00"))


def test_losses_beyond_the_limit_carry_forward_and_offset_next_year():
    # Year 1 aware: ST −12,000, LT +4,000 → net −8,000: 3,000 deducted from ordinary income
    #   (−3,000 × 45.8% = −1,374), 5,000 short-term carried. Naive: LT 4,000 × 28.8% = 1,152.
    # Year 2 aware: LT +6,000 − 5,000 carried = 1,000 long-term × 28.8% = 288.
    #   Naive: 6,000 × 28.8% = 1,728.
    # Aware −1,374 + 288 = −1,086; naive 2,880; saved 3,966.
    # Net taxed: aware −3,000 + 1,000 = −2,000, naive 10,000: 12,000 × 28.8% = 3,456 deferred;
    # permanent 510 = 3,000 deducted × 17%.
    saved = taxes_saved([(Realized(D(-12000), D(4000)), Realized(D(0), D(4000))),
                         (Realized(D(0), D(6000)), Realized(D(0), D(6000)))],
                        rates=RATES, filing_status="married_joint")
    assert (saved.tax_aware, saved.tax_naive, saved.saved) == (D("-1086.00"), D("2880.00"),
                                                               D("3966.00"))
    assert (saved.deferred, saved.permanent) == (D("3456.00"), D("510.00"))
    assert saved.carryforward == Carryforward()


def test_married_filing_separately_deducts_1500_short_term_first():
    # ST −1,000 and LT −4,000: 1,500 deducted (1,000 short, 500 long), 3,500 long carried;
    # tax −1,500 × 45.8% = −687; saved 687, of it 1,500 × 28.8% = 432 deferred, 255 permanent.
    saved = taxes_saved([(Realized(D(-1000), D(-4000)), Realized())], rates=RATES,
                        filing_status="married_separate")
    assert (saved.saved, saved.deferred, saved.permanent) == (D("687.00"), D("432.00"),
                                                              D("255.00"))
    assert saved.carryforward == Carryforward(D(0), D(3500))


def test_a_loss_in_one_term_offsets_a_gain_in_the_other():
    # ST +5,000, LT −2,000 → 3,000 short-term × 45.8% = 1,374
    year = year_tax(Realized(D(5000), D(-2000)), Carryforward(), rates=RATES, limit=D(3000))
    assert (year.taxed_short_term, year.taxed_long_term, year.tax) == (D(3000), D(0),
                                                                       D("1374.00"))
    # LT +1,000 with a 4,000 short-term loss carried in: −3,000 net, all deducted, none carried
    year = year_tax(Realized(D(0), D(1000)), Carryforward(D(4000), D(0)), rates=RATES,
                    limit=D(3000))
    assert (year.loss_deducted, year.tax, year.carried) == (D(3000), D("-1374.00"),
                                                            Carryforward())
