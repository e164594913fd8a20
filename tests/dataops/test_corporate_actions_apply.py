"""Applying corporate actions to the firm's data, once, through the feeds; the custodian checked.

The firm of tests/feed_files.py: on 2026-11-24 A-1 holds 100 AAPL (basis 15,000.00) and 50
MSFT, A-2 holds 200 XOM, B-1 holds 10 AAPL (basis 1,700.00). AAPL closes at 231.40.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccountHold, CorporateActionExpectation, ReconciliationBreak
from accounts.selectors import holdings
from dataops.models import (
    CorporateAction,
    CorporateActionApplication,
    FeedPolicy,
    IdenticalGroup,
    Price,
    RestrictionEntry,
    RestrictionList,
    Security,
)
from dataops.services.corporate_actions import corporate_actions_apply_due
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Alert
from tests import feed_files as ff

pytestmark = pytest.mark.django_db
ACTION_HEADER = ["action_id", "type", "effective_date", "pay_date", "old_cusip", "old_ticker",
                 "new_cusip", "new_ticker", "new_name", "ratio_from", "ratio_to",
                 "cash_per_share", "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price",
                 "tax_treatment", "description"]
# Unchanged lots of the accounts and securities a test's action does not touch.
OTHER_LOTS = [["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
              ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"]]


def load(firm, *paths) -> str:
    out = io.StringIO()
    try:
        call_command("load_feeds", "--firm", firm.code, *map(str, paths), stdout=out)
    except CommandError as error:
        raise AssertionError(out.getvalue()) from error
    return out.getvalue()


def action_row(**values) -> list[object]:
    return [values.get(column, "") for column in ACTION_HEADER]


@pytest.fixture
def firm(alice_firm, tmp_path):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedPolicy.objects.create(max_bad_row_fraction=Decimal("0.5"))
    for name, data in [("securities_20261124.csv", ff.securities()),
                       ("prices_20261124.csv", ff.prices("2026-11-24")),
                       ("accounts_20261124.csv", ff.accounts()),
                       ("tax_lots_20261124.csv", ff.tax_lots()),
                       ("cash_20261124.csv", ff.cash())]:
        ff.write(tmp_path, name, data)
    load(alice_firm.firm, tmp_path)
    return alice_firm.firm


def split_file(tmp_path, name="corporate_actions_20261124.csv", ratio_to="4", pay_date=""):
    return ff.write(tmp_path, name, ff.csv_bytes(ACTION_HEADER, [action_row(
        action_id="CA-AAPL", type="split", effective_date="2026-11-25", pay_date=pay_date,
        old_cusip=ff.AAPL, ratio_from="1", ratio_to=ratio_to, description="4-for-1")]))


def day_files(tmp_path, day: str, *, a1_aapl: str, b1_aapl: str, aapl_close: str,
              seq: str = ""):
    compact = day.replace("-", "")
    lots = ff.write(tmp_path, f"tax_lots_{compact}.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", a1_aapl, "15000.00", "2020-03-02", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", b1_aapl, "1700.00", "2025-12-01", "", ""],
        *OTHER_LOTS]))
    cash = ff.write(tmp_path, f"cash_{compact}.csv", ff.cash())
    prices = price_file(tmp_path, day, aapl_close, seq)
    return lots, cash, prices


def price_file(tmp_path, day: str, aapl_close: str, seq: str = ""):
    compact = day.replace("-", "")
    return ff.write(tmp_path, f"prices_{compact}{seq}.csv", ff.csv_bytes(
        ["as_of_date", "cusip", "close"],
        [[day, ff.AAPL, aapl_close], [day, ff.MSFT, "415.10"], [day, ff.XOM, "112.35"]]))


def open_holds(firm, prefix="corporate_action:"):
    with firm_context(firm):
        return {(hold.account.account_number, hold.source): hold.reason
                for hold in AccountHold.objects.filter(cleared_at__isnull=True,
                                                       source__startswith=prefix)
                .select_related("account")}


def test_a_future_action_waits_then_applies_once(firm, tmp_path):
    load(firm, split_file(tmp_path))
    with firm_context(firm):
        waiting = corporate_actions_apply_due(as_of=date(2026, 11, 24))
        assert (waiting.applied, waiting.waiting) == (0, 1)
        first = corporate_actions_apply_due(as_of=date(2026, 11, 25))
        again = corporate_actions_apply_due(as_of=date(2026, 11, 25))
        assert (first.applied, first.waiting, first.reversed) == (1, 0, 0)
        assert (again.applied, again.waiting, again.reversed, again.accounts_released) == (
            0, 0, 0, 0)
        assert CorporateActionApplication.objects.count() == 1
        expected = {e.account.account_number: e for e in
                    CorporateActionExpectation.objects.select_related("account")}
        # Only the AAPL holders: A-1's 100 become 400 and B-1's 10 become 40, basis unchanged.
        assert set(expected) == {"A-1", "B-1"}
        assert [(lot["quantity"], lot["cost_basis"]) for lot in expected["A-1"].lots_after] == [
            ("400", "15000.00")]
        assert expected["B-1"].basis_after == Decimal("1700.00")
        assert CorporateAction.objects.get().status == "applied"


def test_custodian_agreeing_after_the_split_confirms_it(firm, tmp_path):
    load(firm, split_file(tmp_path))
    # 231.40 / 4 = 57.85: the prices are split too.
    load(firm, *day_files(tmp_path, "2026-11-25", a1_aapl="400", b1_aapl="40",
                          aapl_close="57.85"))
    with firm_context(firm):
        statuses = set(CorporateActionExpectation.objects.values_list("status", flat=True))
        assert statuses == {"confirmed"}
        assert not ReconciliationBreak.objects.filter(kind__startswith="corporate").exists()
    assert open_holds(firm) == {}


def test_holdings_split_but_prices_not_hold_exactly_the_holders_until_corrected(firm, tmp_path):
    load(firm, split_file(tmp_path))
    load(firm, *day_files(tmp_path, "2026-11-25", a1_aapl="400", b1_aapl="40",
                          aapl_close="231.40"))
    held = open_holds(firm)
    assert set(held) == {("A-1", "corporate_action:CA-AAPL:prices"),
                         ("B-1", "corporate_action:CA-AAPL:prices")}
    assert "231.40, is not (about 57.85 expected" in held["A-1",
                                                           "corporate_action:CA-AAPL:prices"]
    # The nightly step sees the same and changes nothing; the data manager was told once.
    with firm_context(firm):
        result = corporate_actions_apply_due(as_of=date(2026, 11, 25))
        assert (result.accounts_held, result.accounts_released) == (2, 0)
        assert any("not (about 57.85 expected" in problem for problem in result.problems)
        [alert] = Alert.objects.filter(kind="corporate_action")
        assert alert.occurrences == 1 and alert.roles == ["data_manager"]
        assert alert.message.startswith("2 account(s) newly held until the data agrees.")
    # A corrected price file releases them.
    load(firm, price_file(tmp_path, "2026-11-25", "57.85", seq="_1"))
    assert open_holds(firm) == {}


def test_a_custodian_that_disagrees_is_a_break_with_both_versions(firm, tmp_path):
    load(firm, split_file(tmp_path))
    load(firm, *day_files(tmp_path, "2026-11-25", a1_aapl="399", b1_aapl="40",
                          aapl_close="57.85"))
    held = open_holds(firm)
    assert set(held) == {("A-1", "corporate_action:CA-AAPL")}
    assert held["A-1", "corporate_action:CA-AAPL"] == (
        "after CA-AAPL (Split) the lots on 2026-11-25 should hold AAPL 400 shares, basis "
        "15,000.00; the custodian shows AAPL 399 shares, basis 15,000.00")
    with firm_context(firm):
        [found] = ReconciliationBreak.objects.filter(kind="corporate_action")
        assert found.account.account_number == "A-1"
        # The ordinary reconciliation leaves the split security to this check.
        assert not ReconciliationBreak.objects.filter(kind="lots_vs_transactions").exists()
    # The custodian's next snapshot agrees: released.
    load(firm, *day_files(tmp_path, "2026-11-26", a1_aapl="400", b1_aapl="40",
                          aapl_close="58.00"))
    assert open_holds(firm) == {}


def test_between_ex_date_and_pay_date_either_version_is_tolerated(firm, tmp_path):
    load(firm, split_file(tmp_path, pay_date="2026-11-27"))
    # Prices split on the ex-date; the custodian still shows 100, then one account already
    # split: tolerated.
    load(firm, *day_files(tmp_path, "2026-11-25", a1_aapl="100", b1_aapl="10",
                          aapl_close="57.85"))
    assert open_holds(firm) == {}
    load(firm, *day_files(tmp_path, "2026-11-26", a1_aapl="100", b1_aapl="40",
                          aapl_close="57.90"))
    assert open_holds(firm) == {}
    # On the pay date A-1 is split but B-1 is not: a break, and its holdings disagree with the
    # price.
    load(firm, *day_files(tmp_path, "2026-11-27", a1_aapl="400", b1_aapl="10",
                          aapl_close="58.00"))
    assert set(open_holds(firm)) == {("B-1", "corporate_action:CA-AAPL"),
                                     ("B-1", "corporate_action:CA-AAPL:prices")}


def test_a_corrected_action_is_reversed_and_applied_again_with_history(firm, tmp_path):
    load(firm, split_file(tmp_path))
    with firm_context(firm):
        corporate_actions_apply_due(as_of=date(2026, 11, 25))
    # The correction file's own date has come: loading it reverses and re-applies at once.
    load(firm, split_file(tmp_path, "corporate_actions_20261125.csv", ratio_to="5"))
    with firm_context(firm):
        assert CorporateAction.objects.get().status == "applied"
        assert [h.status for h in CorporateAction.history.order_by("history_id")][-3:] == [
            "corrected", "received", "applied"]
        standing = CorporateActionExpectation.objects.exclude(status="reversed").get(
            account__account_number="A-1")
        assert standing.lots_after[0]["quantity"] == "500"
        assert CorporateActionExpectation.objects.filter(status="reversed").count() == 2
        applications = list(CorporateActionApplication.objects.order_by("pk"))
        assert [a.reversed_at is not None for a in applications] == [True, False]
        assert [a.terms["ratio_to"] for a in applications] == ["4.00000000", "5.00000000"]
        assert CorporateAction.history.filter(action_id="CA-AAPL").count() >= 4


def test_ticker_change_old_ticker_resolves_for_files_dated_before(firm, tmp_path):
    load(firm, ff.write(tmp_path, "corporate_actions_20261124.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(action_id="CA-XOM", type="ticker_change",
                                   effective_date="2026-11-26", old_ticker="XOM",
                                   new_ticker="XOMX")])))
    with firm_context(firm):
        corporate_actions_apply_due(as_of=date(2026, 11, 26))
        assert Security.objects.get(cusip=ff.XOM).ticker == "XOMX"
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"]])))
    load(firm, ff.write(tmp_path, "tax_lots_20261127.csv", ff.tax_lots([
        ["A-2", "", "XOMX", "L1", "200", "18000.00", "2021-11-11", "", "120.00"]])))
    with firm_context(firm):
        a2 = CorporateActionExpectation.objects.get().account_id
        before = holdings(a2, date(2026, 11, 25)).lots
        after = holdings(a2, date(2026, 11, 27)).lots
        assert before[0].security_id == after[0].security_id
        assert before[0].security.ticker == "XOMX"
        assert CorporateActionExpectation.objects.get().status == "confirmed"
    assert open_holds(firm) == {}


KRFT, NEWCO = "50076Q106", "123456782"


def test_spinoff_adds_the_new_security_and_checks_the_issuers_basis(firm, tmp_path):
    # MSFT plays Kraft Foods Inc.: 1 new share per 3, 35.09% of the basis, fractions at 45.574.
    load(firm, ff.write(tmp_path, "corporate_actions_20261124.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(
            action_id="CA-KRFT", type="spinoff", effective_date="2026-11-25",
            old_cusip=ff.MSFT, new_cusip=KRFT, new_ticker="KRFT",
            new_name="Kraft Foods Group", ratio_from="3", ratio_to="1",
            basis_allocation_pct="35.09", cash_in_lieu="Y", cash_in_lieu_price="45.574")])))
    # A-1's 50 MSFT (basis 9,000.50): MSFT keeps 9,000.50 × 64.91% = 5,842.22455 → 5,842.22;
    # KRFT 3,158.28 for 16⅔ shares; ⅔ share paid 30.38 (⅔ × 45.574) with basis
    # 3,158.28 × (⅔ / 16⅔) = 126.33, so 16 KRFT keep 3,031.95. The custodian applies 50/50.
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "4500.25", "2022-06-01", "", ""],
        ["A-1", KRFT, "", "L2K", "16", "4374.27", "2022-06-01", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["B-1", ff.AAPL, "", "L1", "10", "1700.00", "2025-12-01", "", ""]])))
    with firm_context(firm):
        krft = Security.objects.get(ticker="KRFT")
        assert (krft.name, krft.cusip, krft.status) == ("Kraft Foods Group", KRFT, "active")
        [expected] = CorporateActionExpectation.objects.all()
        assert expected.cash_received == Decimal("30.38")
        assert expected.gain_realized == Decimal("30.38") - Decimal("126.33")
        assert expected.status == "break"
    held = open_holds(firm)
    assert held == {("A-1", "corporate_action:CA-KRFT"): (
        "after CA-KRFT (Spin-off) the lots on 2026-11-25 should hold MSFT 50 shares, basis "
        "5,842.22, KRFT 16 shares, basis 3,031.95; the custodian shows MSFT 50 shares, basis "
        "4,500.25, KRFT 16 shares, basis 4,374.27")}
    # The custodian corrects its basis to the issuer's percentage: released.
    load(firm, ff.write(tmp_path, "tax_lots_20261125_1.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "5842.22", "2022-06-01", "", ""],
        ["A-1", KRFT, "", "L2K", "16", "3031.95", "2022-06-01", "", ""]])))
    assert open_holds(firm) == {}


def test_stock_merger_moves_models_and_sets_and_holds_accounts_holding_both(firm, tmp_path):
    from models_hub.models import EquivalenceMember, EquivalenceSet, SecurityModelVersion

    load(firm, ff.write(tmp_path, "models_20261124.csv", ff.csv_bytes(
        ["model_code", "model_name", "as_of_date", "cusip", "weight"],
        [["ENERGY", "Energy", "2026-11-24", ff.XOM, "0.4"],
         ["ENERGY", "Energy", "2026-11-24", ff.AAPL, "0.6"]])))
    with firm_context(firm), audit_context(system_job="tests"):
        oil = EquivalenceSet.objects.create(code="OIL")
        xom = Security.objects.get(ticker="XOM")
        EquivalenceMember.objects.create(equivalence_set=oil, security=xom)
        xom.identical_group = IdenticalGroup.objects.create(code="XOM-CLASSES")
        xom.save()
        esg = RestrictionList.objects.create(code="ESG")
        RestrictionEntry.objects.create(restriction_list=esg, security=xom, reason="fossil")
    load(firm, ff.write(tmp_path, "corporate_actions_20261125.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(
            action_id="CA-XOM", type="stock_merger", effective_date="2026-11-25",
            old_ticker="XOM", new_cusip=NEWCO, new_ticker="NEWCO", ratio_from="2",
            ratio_to="1", tax_treatment="reorganization")])))
    with firm_context(firm):
        newco = Security.objects.get(ticker="NEWCO")
        assert Security.objects.get(ticker="XOM").status == "delisted"
        latest = SecurityModelVersion.objects.filter(model__code="ENERGY").first()
        assert dict(latest.weights.values_list("security__ticker", "weight")) == {
            "NEWCO": Decimal("0.4"), "AAPL": Decimal("0.6")}
        assert EquivalenceMember.objects.get(equivalence_set=oil).security == newco
        # The successor is substantially identical to its predecessor's group and restricted
        # where it was.
        assert newco.identical_group.code == "XOM-CLASSES"
        assert RestrictionEntry.objects.get(security=newco).reason == (
            "fossil (follows XOM after CA-XOM)")
        [expected] = CorporateActionExpectation.objects.all()
        # 200 XOM (basis 18,000.00) become 100 NEWCO, basis and holding period carried.
        assert [(lot["quantity"], lot["cost_basis"], lot["acquired_date"])
                for lot in expected.lots_after] == [("100", "18000.00", "2021-11-11")]
    load(firm, ff.write(tmp_path, "tax_lots_20261126.csv", ff.tax_lots([
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["A-2", NEWCO, "", "L1N", "100", "18000.00", "2021-11-11", "", ""]])))
    held = open_holds(firm)
    assert held[("A-2", "corporate_action:CA-XOM:both")] == (
        "holds both XOM and NEWCO on 2026-11-26, after CA-XOM")
    assert ("A-2", "corporate_action:CA-XOM") in held
    # The correction drops the old shares: the data agrees.
    load(firm, ff.write(tmp_path, "tax_lots_20261126_1.csv", ff.tax_lots([
        ["A-2", NEWCO, "", "L1N", "100", "18000.00", "2021-11-11", "", ""]])))
    assert open_holds(firm) == {}


def test_cash_merger_realizes_and_a_model_still_naming_it_is_reported(firm, tmp_path):
    load(firm, ff.write(tmp_path, "models_20261124.csv", ff.csv_bytes(
        ["model_code", "model_name", "as_of_date", "cusip", "weight"],
        [["ENERGY", "Energy", "2026-11-24", ff.XOM, "1"]])))
    load(firm, ff.write(tmp_path, "corporate_actions_20261125.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(action_id="CA-XOMCASH", type="cash_merger",
                                   effective_date="2026-11-25", old_ticker="XOM",
                                   cash_per_share="120.00")])))
    with firm_context(firm):
        [expected] = CorporateActionExpectation.objects.all()
        # 200 × 120.00 = 24,000.00 against a basis of 18,000.00: a 6,000.00 gain, no lots left.
        assert (expected.cash_received, expected.gain_realized) == (
            Decimal("24000.00"), Decimal("6000.00"))
        assert expected.lots_after == []
        result = corporate_actions_apply_due(as_of=date(2026, 11, 25))
        assert ("model(s) ENERGY still name XOM, retired by CA-XOMCASH on 2026-11-25: the "
                "investment committee must replace it") in result.problems


def test_reverse_split_with_a_new_cusip_pays_fractions_at_the_close(firm, tmp_path):
    # GE's 1-for-8 came with a new CUSIP (369604301). Here XOM plays GE: A-2's 200 shares
    # become 25; B-1 holds 12 XOM, so its 12 / 8 = 1.5 become 1 share and half a share paid.
    # The file gives no price for it and the ex-date's prices come with the new CUSIP, so the
    # action applies before that price file is read (or it would not resolve), at the last
    # close adjusted: 112.35 × 8 = 898.80, and 0.5 × 898.80 = 449.40.
    new_cusip = "369604301"
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["B-1", "", "XOM", "L9", "12", "1300.00", "2026-01-05", "", ""]])))
    load(firm, ff.write(tmp_path, "corporate_actions_20261125.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(action_id="CA-RS", type="reverse_split",
                                   effective_date="2026-11-26", old_ticker="XOM",
                                   new_cusip=new_cusip, ratio_from="8", ratio_to="1",
                                   cash_in_lieu="Y")])))
    load(firm, ff.write(tmp_path, "prices_20261126.csv", ff.csv_bytes(
        ["as_of_date", "cusip", "close"], [["2026-11-26", new_cusip, "899.20"]])))
    with firm_context(firm):
        xom = Security.objects.get(ticker="XOM")
        assert xom.cusip == new_cusip
        by_account = {e.account.account_number: e for e in
                      CorporateActionExpectation.objects.select_related("account")}
        assert [lot["quantity"] for lot in by_account["A-2"].lots_after] == ["25"]
        b1 = by_account["B-1"]
        assert [lot["quantity"] for lot in b1.lots_after] == ["1"]
        # Half of the 1.5 new shares' basis, 1,300.00 / 3 = 433.33, sold for 449.40.
        assert (b1.cash_received, b1.basis_relieved, b1.gain_realized) == (
            Decimal("449.40"), Decimal("433.33"), Decimal("16.07"))
        # The ex-date's price file resolved the new CUSIP to the same security.
        assert Price.objects.get(as_of_date=date(2026, 11, 26)).security_id == xom.pk
    # Files dated before the change still name the old CUSIP; after it, the new one.
    load(firm, ff.write(tmp_path, "tax_lots_20261125_1.csv", ff.tax_lots([
        ["A-2", "30231G102", "", "L1", "200", "18000.00", "2021-11-11", "", "120.00"]])))
    load(firm, ff.write(tmp_path, "tax_lots_20261127.csv", ff.tax_lots([
        ["A-2", new_cusip, "", "L1", "25", "18000.00", "2021-11-11", "", "120.00"]])))
    with firm_context(firm):
        a2 = by_account["A-2"].account_id
        assert holdings(a2, date(2026, 11, 25)).lots[0].security_id == xom.pk
        assert holdings(a2, date(2026, 11, 27)).lots[0].security_id == xom.pk
        assert CorporateActionExpectation.objects.get(account_id=a2).status == "confirmed"


def test_a_spinoff_added_to_models_by_firm_policy_splits_the_parents_weight(firm, tmp_path):
    from models_hub.models import SecurityModelVersion, SpinoffPolicy

    with firm_context(firm), audit_context(system_job="tests"):
        SpinoffPolicy.objects.create(policy=SpinoffPolicy.Choice.ADD_TO_MODEL)
    load(firm, ff.write(tmp_path, "models_20261124.csv", ff.csv_bytes(
        ["model_code", "model_name", "as_of_date", "cusip", "weight"],
        [["TECH", "Tech", "2026-11-24", ff.MSFT, "0.5"],
         ["TECH", "Tech", "2026-11-24", ff.AAPL, "0.5"]])))
    load(firm, ff.write(tmp_path, "corporate_actions_20261125.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(
            action_id="CA-KRFT", type="spinoff", effective_date="2026-11-25",
            old_cusip=ff.MSFT, new_cusip=KRFT, new_ticker="KRFT", ratio_from="3",
            ratio_to="1", basis_allocation_pct="35.09", cash_in_lieu="Y",
            cash_in_lieu_price="45.574")])))
    with firm_context(firm):
        latest = SecurityModelVersion.objects.filter(model__code="TECH").first()
        # MSFT's 0.5 splits by the issuer's percentage: 0.5 × 35.09% = 0.17545 to KRFT.
        assert dict(latest.weights.values_list("security__ticker", "weight")) == {
            "MSFT": Decimal("0.32455"), "KRFT": Decimal("0.17545"), "AAPL": Decimal("0.5")}
        assert latest.corporate_action.action_id == "CA-KRFT"


def test_trades_between_the_snapshots_are_counted_not_breaks(firm, tmp_path):
    # The split's ex-date is 2026-11-26; A-1's snapshot before it is 2026-11-24 (100 AAPL).
    # It buys 10 shares before the ex-date and 8 (post-split) on it; a sale is cancelled:
    # (100 + 10) × 4 + 8 = 448.
    load(firm, ff.write(tmp_path, "corporate_actions_20261124.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(action_id="CA-AAPL", type="split",
                                   effective_date="2026-11-26", old_cusip=ff.AAPL,
                                   ratio_from="1", ratio_to="4")])))
    load(firm, ff.write(tmp_path, "transactions_20261126.csv", ff.transactions([
        ["A-1", "T1", "2026-11-25", "2026-11-26", "buy", ff.AAPL, "", "10", "231.00",
         "-2310.00", "L3", "", ""],
        ["A-1", "T2", "2026-11-26", "2026-11-27", "buy", ff.AAPL, "", "8", "58.00", "-464.00",
         "L4", "", ""],
        ["A-1", "T3", "2026-11-26", "2026-11-27", "sell", ff.AAPL, "", "5", "58.00", "290.00",
         "L1", "", ""],
        ["A-1", "T4", "2026-11-26", "2026-11-27", "sell", ff.AAPL, "", "", "", "", "", "",
         "T3"]])))
    load(firm, *day_files(tmp_path, "2026-11-27", a1_aapl="448", b1_aapl="40",
                          aapl_close="58.00"))
    with firm_context(firm):
        statuses = dict(CorporateActionExpectation.objects.values_list(
            "account__account_number", "status"))
        assert statuses == {"A-1": "confirmed", "B-1": "confirmed"}
    assert open_holds(firm) == {}
    # A custodian one share short is a break that says what the trades made of it.
    load(firm, *day_files(tmp_path, "2026-11-28", a1_aapl="447", b1_aapl="40",
                          aapl_close="58.10"))
    assert open_holds(firm) == {("A-1", "corporate_action:CA-AAPL"): (
        "after CA-AAPL (Split) and 2 trade(s) since 2026-11-24 the lots on 2026-11-28 should "
        "hold AAPL 448 shares; the custodian shows AAPL 447 shares, basis 15,000.00")}


def test_a_split_paid_before_its_ex_date_applies_from_the_pay_date_a_merger_waits(firm, tmp_path):
    load(firm, ff.write(tmp_path, "corporate_actions_20261124.csv", ff.csv_bytes(
        ACTION_HEADER, [action_row(action_id="CA-AAPL", type="split",
                                   effective_date="2026-11-27", pay_date="2026-11-25",
                                   old_cusip=ff.AAPL, ratio_from="1", ratio_to="4"),
                        action_row(action_id="CA-XOM", type="stock_merger",
                                   effective_date="2026-11-27", pay_date="2026-11-25",
                                   old_ticker="XOM", new_cusip=NEWCO, new_ticker="NEWCO",
                                   ratio_from="2", ratio_to="1")])))
    with firm_context(firm):
        result = corporate_actions_apply_due(as_of=date(2026, 11, 25))
        assert (result.applied, result.waiting) == (1, 1)
        assert dict(CorporateAction.objects.values_list("action_id", "status")) == {
            "CA-AAPL": "applied", "CA-XOM": "received"}
        # The holders' expectations exist from the pay date, the window runs to the ex-date.
        assert set(CorporateActionExpectation.objects.values_list(
            "window_start", "window_end")) == {(date(2026, 11, 25), date(2026, 11, 27))}
        assert Security.objects.get(ticker="XOM").status == "active"
