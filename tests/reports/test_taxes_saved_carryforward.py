"""The tax entity's configured capital-loss carryforwards start the taxes-saved period on both
sides, worked by hand (rates as in tests/reports/test_taxes_saved_method.py: short-term 45.8%,
long-term 28.8%, the difference 17%), in the method and through the report on the stored
analyses of tests/reports/taxes_saved_book.py with the carryforward set on the tax entity."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client

from accounts.models import Account
from accounts.services.settings import tax_entity_settings_update
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from reports.taxes_saved import Carryforward, Realized, allocate_carryforward, taxes_saved
from reports.taxes_saved_report import taxes_saved_report
from tests.pdf_text import pdf_text
from tests.reports.taxes_saved_book import END, START, _analysis, _metrics, taxes_saved_book
from tests.reports.test_taxes_saved_method import RATES

CARRIED = Carryforward(D(0), D(10000))


def test_a_carryforward_absorbs_gains_on_both_sides():
    # naive: LT 15,000 − 10,000 carried = 5,000 taxed × 28.8% = 1,440 (net taxed 5,000)
    # tax-aware: LT 5,000 − 10,000 = −5,000: 3,000 deducted (−1,374), 2,000 carried on
    # saved 1,440 + 1,374 = 2,814; net taxed 5,000 − (−3,000) = 8,000 × 28.8% = 2,304
    # deferred; 510 = 3,000 × 17% permanently saved
    saved = taxes_saved([(Realized(D(0), D(5000)), Realized(D(0), D(15000)))], rates=RATES,
                        filing_status="single", carried_in=CARRIED)
    assert (saved.tax_aware, saved.tax_naive, saved.saved) == (D("-1374.00"), D("1440.00"),
                                                               D("2814.00"))
    assert (saved.deferred, saved.permanent) == (D("2304.00"), D("510.00"))
    assert saved.carryforward == Carryforward(D(0), D(2000))
    # without it: 4,320 − 1,440 = 2,880 saved, all deferred (10,000 × 28.8%)
    bare = taxes_saved([(Realized(D(0), D(5000)), Realized(D(0), D(15000)))], rates=RATES,
                       filing_status="single")
    assert (bare.saved, bare.deferred, bare.permanent) == (D("2880.00"), D("2880.00"), D(0))


def test_the_carryforward_deducts_1500_married_filing_separately():
    # tax-aware −5,000 net: 1,500 deducted (−687), 3,500 carried; naive 1,440 as above
    # saved 2,127; net taxed 5,000 − (−1,500) = 6,500 × 28.8% = 1,872 deferred, 255 permanent
    saved = taxes_saved([(Realized(D(0), D(5000)), Realized(D(0), D(15000)))], rates=RATES,
                        filing_status="married_separate", carried_in=CARRIED)
    assert (saved.tax_aware, saved.saved) == (D("-687.00"), D("2127.00"))
    assert (saved.deferred, saved.permanent) == (D("1872.00"), D("255.00"))
    assert saved.carryforward == Carryforward(D(0), D(3500))


def test_a_short_term_carryforward_offsets_long_term_gain_when_short_term_has_none():
    # naive: ST 0 − 4,000 = −4,000 against LT +10,000 → 6,000 long-term × 28.8% = 1,728
    saved = taxes_saved([(Realized(), Realized(D(0), D(10000)))], rates=RATES,
                        filing_status="single", carried_in=Carryforward(D(4000), D(0)))
    assert saved.tax_naive == D("1728.00")
    # tax-aware: −4,000 net short-term: 3,000 deducted (−1,374), 1,000 short-term carried
    assert (saved.tax_aware, saved.carryforward) == (D("-1374.00"),
                                                     Carryforward(D(1000), D(0)))


def test_sharing_among_accounts_adds_up_to_the_whole():
    assert allocate_carryforward(Carryforward(D(100), D(10)), {3: D(1), 1: D(1), 2: D(1)}) == {
        1: Carryforward(D("33.33"), D("3.33")), 2: Carryforward(D("33.33"), D("3.33")),
        3: Carryforward(D("33.34"), D("3.34"))}
    assert allocate_carryforward(Carryforward(D(0), D(8000)), {1: D(600), 2: D(200)}) == {
        1: Carryforward(D(0), D("6000.00")), 2: Carryforward(D(0), D("2000.00"))}
    assert allocate_carryforward(Carryforward(D(0), D(90)), {5: D(0), 6: D(0)}) == {
        5: Carryforward(D(0), D("45.00")), 6: Carryforward(D(0), D("45.00"))}


@pytest.fixture
def book(alice_firm):
    book = taxes_saved_book(alice_firm)
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        tax_entity_settings_update(tax_entity=book.taxable.tax_entity,
                                   changes={"long_term_loss_carryforward": "10000"},
                                   reason="the client's prior-year return",
                                   acting_user=alice_firm.admin)
    return book


def _report(alice_firm, *accounts):
    with firm_context(alice_firm.firm):
        return taxes_saved_report(accounts=Account.objects.filter(pk__in=[a.pk for a in accounts]),
                                  start=START, end=END)


@pytest.mark.django_db
def test_the_report_starts_with_the_entitys_carryforward(book, alice_firm):
    # T-1 with 10,000 long-term carried in (single, limit 3,000):
    # 2025 aware: ST −12,000, LT 4,000 − 10,000 = −6,000 → 3,000 deducted short-term first
    #   (−1,374), carried ST 9,000, LT 6,000. Naive: LT −6,000 → 3,000 deducted (−1,374),
    #   carried LT 3,000.
    # 2026 aware: ST −9,000, LT 6,000 − 6,000 = 0 → 3,000 deducted (−1,374), ST 6,000 carried.
    #   Naive: LT 6,000 − 3,000 = 3,000 × 28.8% = 864.
    # aware −2,748, naive −510: saved 2,238; net taxed 0 − (−6,000) = 6,000 × 28.8% = 1,728
    # deferred, 510 = 3,000 × 17% permanent (without the carryforward: 3,966, 3,456, 510)
    (taxable,) = _report(alice_firm, book.taxable).rows
    assert taxable.carried_in == CARRIED
    assert (taxable.saved.tax_aware, taxable.saved.tax_naive) == (D("-2748.00"), D("-510.00"))
    assert (taxable.saved.saved, taxable.saved.deferred, taxable.saved.permanent) == (
        D("2238.00"), D("1728.00"), D("510.00"))
    assert taxable.saved.carryforward == Carryforward(D(6000), D(0))


@pytest.mark.django_db
def test_an_entitys_accounts_share_its_carryforward_by_value(book, alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        joint = Account.objects.create(account_number="T-3", name="Smith Joint",
                                       household=alice_firm.other_household,
                                       tax_entity=book.taxable.tax_entity)
        _analysis(joint, date(2026, 3, 2), 200000, _metrics(), None)
    # values 600,000 and 200,000: T-1 carries in 7,500, T-3 2,500, whoever reads
    # T-1 with 7,500: 2025 aware ST −12,000, LT −3,500 → −1,374, carried 9,000 / 3,500;
    #   naive LT −3,500 → −1,374, carried LT 500. 2026 aware ST −9,000, LT 2,500 → −6,500 →
    #   −1,374; naive LT 5,500 → 1,584. Saved 210 + 2,748 = 2,958; net taxed 2,500 − (−6,000)
    #   = 8,500 × 28.8% = 2,448 deferred, 510 permanent.
    one, joint_row = _report(alice_firm, book.taxable, joint).rows
    assert (one.carried_in, joint_row.carried_in) == (Carryforward(D(0), D("7500.00")),
                                                      Carryforward(D(0), D("2500.00")))
    assert (one.saved.saved, one.saved.deferred, one.saved.permanent) == (
        D("2958.00"), D("2448.00"), D("510.00"))
    # T-3 compared no day: it saves nothing and keeps its share
    assert joint_row.saved.saved == 0 and joint_row.saved.carryforward == joint_row.carried_in
    # the advisor sees T-1 only, with the same share
    advisor = Client()
    advisor.force_login(alice_firm.advisor)
    page = advisor.get(f"/reports/taxes-saved/?start={START}&end={END}&format=csv")
    lines = {r["account_number"]: r for r in csv.DictReader(io.StringIO(page.content.decode()))}
    assert "T-3" not in lines
    assert (lines["T-1"]["long_term_carryforward_at_start"], lines["T-1"]["taxes_saved"]) == (
        "7500.00", "2958.00")
    pdf = advisor.get(f"/reports/taxes-saved/accounts/{book.taxable.pk}/?start={START}"
                      f"&end={END}&format=pdf")
    text = " ".join(pdf_text(pdf.content).split())
    assert "long-term 7,500.00" in text and "Taxes saved: 2,958.00" in text
    assert "configured capital-loss carryforwards" in text
