"""Loading feeds end to end through the command-line door, against PostgreSQL as the app role."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, AccountHold, ReconciliationBreak, TaxLot, Transaction
from accounts.selectors import holdings
from dataops.models import FeedFile, FeedPolicy, QuarantinedRow, Security, UnknownSecurity
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 24)


def load(firm, *paths, expect_failure=False) -> str:
    out = io.StringIO()
    if expect_failure:
        with pytest.raises(CommandError):
            call_command("load_feeds", "--firm", firm.code, *map(str, paths), stdout=out)
    else:
        call_command("load_feeds", "--firm", firm.code, *map(str, paths), stdout=out)
    return out.getvalue()


@pytest.fixture
def firm(alice_firm):
    """Firm A, whose policy tolerates up to half of a (tiny) file's rows being bad."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedPolicy.objects.create(max_bad_row_fraction=Decimal("0.5"))
    return alice_firm.firm


@pytest.fixture
def loaded(firm, tmp_path):
    """A small firm: securities, prices, accounts, lots and cash for 2026-11-24."""
    for name, data in [("securities_20261124.csv", ff.securities()),
                       ("prices_20261124.csv", ff.prices("2026-11-24")),
                       ("accounts_20261124.csv", ff.accounts()),
                       ("tax_lots_20261124.csv", ff.tax_lots()),
                       ("cash_20261124.csv", ff.cash())]:
        ff.write(tmp_path, name, data)
    output = load(firm, tmp_path)
    return output


def account(firm, number: str) -> Account:
    with firm_context(firm):
        return Account.objects.get(account_number=number)


def test_a_complete_day_loads_exactly(firm, loaded):
    assert "tax_lots_20261124.csv: loaded — 4 read, 4 loaded, 0 quarantined" in loaded
    with firm_context(firm):
        smith = Account.objects.get(account_number="A-1")
        assert (smith.registration, smith.tax_status, smith.program_code) == (
            "joint", "taxable", "BAL60")
        assert smith.custom_fields == {"tier": "Platinum", "family": "Smith"}
        assert smith.tax_entity.code == "TE-SMITH"
        assert Account.objects.get(account_number="B-1").tax_entity.code == "HH-JONES"
        snapshot = holdings(smith.pk, DAY)
        assert snapshot.business_date == DAY and snapshot.is_complete
        assert [(lot.security.ticker, lot.quantity, lot.cost_basis) for lot in snapshot.lots] == [
            ("AAPL", Decimal("100"), Decimal("15000.00")),
            ("MSFT", Decimal("50"), Decimal("9000.50"))]
        assert snapshot.cash == Decimal("2500.00")
        ira = holdings(Account.objects.get(account_number="A-2").pk, DAY)
        assert ira.lots[0].wash_sale_adjustment == Decimal("120.00")
        assert TaxLot.objects.count() == 4
        assert sum(lot.cost_basis for lot in TaxLot.objects.all()) == Decimal("43700.50")
        history = Account.history.filter(account_number="A-1").get()
        assert history.history_change_reason == "file accounts_20261124.csv"
        assert history.history_system_job == "cli"


def test_the_same_file_twice_is_a_recorded_no_op(firm, loaded, tmp_path):
    output = load(firm, tmp_path / "tax_lots_20261124.csv")
    assert "duplicate — 0 read, 0 loaded" in output
    with firm_context(firm):
        assert TaxLot.objects.count() == 4
        duplicate = FeedFile.objects.filter(status="duplicate").get()
        assert duplicate.duplicate_of.name == "tax_lots_20261124.csv"


def test_a_correction_file_replaces_the_days_snapshot(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "tax_lots_20261124_1.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "90", "13500.00", "2020-03-02", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["B-1", ff.AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""]]))
    load(firm, path)
    with firm_context(firm):
        lots = holdings(account(firm, "A-1").pk, DAY).lots
        assert [(lot.security.ticker, lot.quantity) for lot in lots] == [("AAPL", Decimal("90"))]
        assert FeedFile.objects.filter(feed="tax_lots").count() == 2  # the first kept


def test_a_bad_row_holds_its_account_on_the_previous_snapshot(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "-5", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", "12", "2000.00", "2025-12-01", "", ""]]))
    output = load(firm, path)
    assert "loaded_with_errors — 4 read, 2 loaded, 1 quarantined" in output
    with firm_context(firm):
        smith = account(firm, "A-1")
        snapshot = holdings(smith.pk, date(2026, 11, 25))
        assert snapshot.business_date == DAY  # kept whole, not half-updated
        assert [lot.quantity for lot in snapshot.lots] == [Decimal("100"), Decimal("50")]
        hold = AccountHold.objects.get(account=smith, cleared_at__isnull=True)
        assert hold.kind == "data_error" and hold.source == "feed:tax_lots"
        assert "tax_lots_20261125.csv" in hold.reason and "line 2" in hold.reason
        row = QuarantinedRow.objects.get()
        assert (row.line_number, row.column, row.account_number) == (2, "quantity", "A-1")
        assert "negative" in row.reason
        assert holdings(account(firm, "B-1").pk, date(2026, 11, 25)).lots[0].quantity == 12
    # The next clean file clears the hold it set.
    load(firm, ff.write(tmp_path, "tax_lots_20261126.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""]])))
    with firm_context(firm):
        assert not AccountHold.objects.filter(account=smith, cleared_at__isnull=True).exists()


def test_unknown_account_and_disagreeing_identifiers_are_quarantined(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["Z-9", ff.AAPL, "AAPL", "L1", "1", "100.00", "2020-03-02", "", ""],
        ["A-1", ff.AAPL, "MSFT", "L1", "1", "100.00", "2020-03-02", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""],
        ["B-1", ff.MSFT, "MSFT", "L2", "1", "400.00", "2025-12-01", "", ""]]))
    load(firm, path)
    with firm_context(firm):
        reasons = {r.line_number: (r.column, r.reason) for r in QuarantinedRow.objects.all()}
    assert reasons[2] == ("account_number", "unknown account Z-9: not in any accounts file")
    assert reasons[3][0] == "cusip" and "different securities" in reasons[3][1]


def test_unknown_security_is_queued_and_its_hold_clears_when_added(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AMZN, "AMZN", "L9", "3", "540.00", "2024-01-02", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""]]))
    load(firm, path)
    smith = account(firm, "A-1")
    with firm_context(firm):
        entry = UnknownSecurity.objects.get()
        assert (entry.cusip, entry.ticker, entry.status) == (ff.AMZN, "AMZN", "open")
        hold = AccountHold.objects.get(account=smith, cleared_at__isnull=True,
                                       source__startswith="unknown_security:")
        assert hold.source == f"unknown_security:{entry.placeholder_id}"
        lots = holdings(smith.pk, date(2026, 11, 25)).lots
        assert lots[0].security_id == entry.placeholder_id  # loaded, against a placeholder
    load(firm, ff.write(tmp_path, "securities_20261125.csv", ff.securities(
        [[ff.AMZN, "AMZN", "Amazon.com Inc.", "equity", "EQ.US.LARGE",
          "Consumer Discretionary", ""]])))
    with firm_context(firm):
        entry.refresh_from_db()
        assert entry.status == "resolved"
        assert Security.objects.get(pk=entry.placeholder_id).status == "active"
        assert not AccountHold.objects.filter(account=smith, cleared_at__isnull=True,
                                              source__startswith="unknown_security:").exists()


def test_too_many_bad_rows_reject_the_whole_file(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "abc", "15000.00", "2020-03-02", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-13-45", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", "12", "2000.00", "2025-12-01", "", ""]]))
    output = load(firm, path, expect_failure=True)
    assert "rejected" in output and "2 of 3 rows are bad" in output
    with firm_context(firm):
        assert TaxLot.objects.count() == 4  # nothing of the file loaded
        assert holdings(account(firm, "B-1").pk, date(2026, 11, 25)).business_date == DAY
        assert QuarantinedRow.objects.count() == 2


def test_an_older_accounts_file_is_history(firm, loaded, tmp_path):
    path = ff.write(tmp_path, "accounts_20261120.csv", ff.accounts([
        ["A-1", "Old Name", "HH-SMITH", "TE-SMITH", "", "joint", "taxable", "closed", "Y", "Y",
         "BAL60", "2019-04-01", "Gold", "Smith"]]))
    output = load(firm, path)
    assert "history" in output and "not overwritten" in output
    assert account(firm, "A-1").name == "Smith Joint"


def test_account_missing_from_accounts_file_is_reported_not_deleted(firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "accounts_20261125.csv", ff.accounts([
        ["A-1", "Smith Joint", "HH-SMITH", "TE-SMITH", "", "joint", "taxable", "open", "Y", "Y",
         "BAL60", "2019-04-01", "Platinum", "Smith"]])))
    with firm_context(firm):
        assert Account.objects.filter(account_number__in=["A-1", "A-2", "B-1"]).count() == 3
        missing = ReconciliationBreak.objects.filter(kind="missing_from_accounts_file",
                                                     business_date=date(2026, 11, 25))
        assert sorted(b.account.account_number for b in missing) == [
            "A-2", "ALICE-001", "ALICE-002", "B-1"]


def test_cash_names_an_account_without_lots_so_it_holds_nothing(firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""]])),
        ff.write(tmp_path, "cash_20261125.csv", ff.cash([
            ["A-1", "2400.00", "0"], ["A-2", "100.00", ""], ["B-1", "50.25", "25.00"]])))
    with firm_context(firm):
        jones = holdings(account(firm, "B-1").pk, date(2026, 11, 25))
        assert jones.business_date == date(2026, 11, 25) and jones.lots == []
        assert jones.cash == Decimal("50.25")


def test_negative_cash_is_a_break(firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "cash_20261125.csv", ff.cash([["A-1", "-10.00", ""]])))
    with firm_context(firm):
        assert ReconciliationBreak.objects.get(kind="negative_cash").account.account_number == \
            "A-1"


def test_transactions_append_idempotently_with_cancels(firm, loaded, tmp_path):
    rows = [["A-1", "T1", "2026-11-20", "2026-11-21", "buy", ff.AAPL, "", "5", "230", "-1150",
             "L7", "", ""],
            ["A-1", "T2", "2026-11-21", "", "dividend", ff.AAPL, "", "", "", "12.50", "", "", ""],
            ["A-1", "T3", "2026-11-22", "", "dividend", ff.AAPL, "", "", "", "12.50", "", "",
             "T2"]]
    load(firm, ff.write(tmp_path, "transactions_20261124.csv", ff.transactions(rows)))
    load(firm, ff.write(tmp_path, "transactions_20261124_1.csv", ff.transactions(
        [*rows, ["B-1", "T4", "2026-11-24", "", "deposit", "", "", "", "", "1000", "", "", ""]])))
    with firm_context(firm):
        assert sorted(Transaction.objects.values_list("transaction_id", flat=True)) == [
            "T1", "T2", "T3", "T4"]
        assert Transaction.objects.get(transaction_id="T3").cancels == "T2"


def test_ticker_change_keeps_one_security_and_old_files_resolve(firm, loaded, tmp_path):
    with audit_context(system_job="tests"):
        load(firm, ff.write(tmp_path, "securities_20261125.csv", ff.csv_bytes(
            ["cusip", "ticker", "name", "security_type"],
            [[ff.MSFT, "MSFX", "Microsoft Corp.", "equity"]])))
    with firm_context(firm):
        assert Security.objects.filter(cusip=ff.MSFT).count() == 1
    # A lot file dated before the change still names MSFT by ticker alone and resolves.
    load(firm, ff.write(tmp_path, "tax_lots_20261124_2.csv", ff.tax_lots([
        ["A-1", "", "MSFT", "L2", "50", "9000.50", "2022-06-01", "", ""]])))
    load(firm, ff.write(tmp_path, "tax_lots_20261126.csv", ff.tax_lots([
        ["A-1", "", "MSFX", "L2", "50", "9000.50", "2022-06-01", "", ""]])))
    with firm_context(firm):
        old = holdings(account(firm, "A-1").pk, DAY).lots
        new = holdings(account(firm, "A-1").pk, date(2026, 11, 26)).lots
        assert old[0].security_id == new[0].security_id
        assert not UnknownSecurity.objects.exists()


def test_a_broken_file_is_rejected_whole_and_named(firm, loaded, tmp_path):
    output = load(firm, ff.write(tmp_path, "tax_lots_20261125.csv",
                                 b"account_number,cusip,lot_id\nA-1,x,1\n"),
                  expect_failure=True)
    assert "tax_lots_20261125.csv: rejected" in output and "missing required column" in output
    assert "quantity" in output


def test_lots_are_reconciled_against_the_previous_snapshot_and_transactions(
        firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "transactions_20261125.csv", ff.transactions([
        ["A-1", "T10", "2026-11-25", "", "buy", ff.AAPL, "", "10", "231", "-2310", "L3", "",
         ""],
        ["B-1", "T11", "2026-11-25", "", "sell", ff.AAPL, "", "-4", "231", "924", "L1", "244",
         ""]])))
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.AAPL, "AAPL", "L3", "10", "2310.00", "2026-11-25", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["B-1", ff.AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""]])))
    with firm_context(firm):
        breaks = list(ReconciliationBreak.objects.filter(kind="lots_vs_transactions")
                      .select_related("account"))
    # agree; B-1 sold 4 of 10 but the custodian still shows 10.
    assert [b.account.account_number for b in breaks] == ["B-1"]
    assert "AAPL: expected 6, custodian 10" in breaks[0].reason


def test_a_break_holds_the_account_until_reconciled(firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "cash_20261125.csv", ff.cash([["A-1", "-10.00", ""]])))
    smith = account(firm, "A-1")
    with firm_context(firm):
        hold = AccountHold.objects.get(account=smith, cleared_at__isnull=True)
        assert hold.source == "reconciliation:negative_cash" and "-10.00" in hold.reason
    load(firm, ff.write(tmp_path, "cash_20261126.csv", ff.cash([["A-1", "5.00", ""]])))
    with firm_context(firm):
        hold.refresh_from_db()
        assert hold.cleared_at is not None and hold.cleared_reason == "reconciled"


def test_corporate_actions_upsert_by_action_id(firm, loaded, tmp_path):
    from dataops.models import CorporateAction

    header = ["action_id", "type", "effective_date", "old_cusip", "old_ticker", "ratio_from",
              "ratio_to", "description"]
    load(firm, ff.write(tmp_path, "corporate_actions_20261124.csv", ff.csv_bytes(header, [
        ["CA-1", "split", "2026-11-25", ff.AAPL, "", "1", "4", "4-for-1"]])))
    load(firm, ff.write(tmp_path, "corporate_actions_20261125.csv", ff.csv_bytes(header, [
        ["CA-1", "split", "2026-11-25", ff.AAPL, "", "1", "4", "4-for-1, record date 11/20"],
        ["CA-2", "ticker_change", "2026-12-01", "", "XOM", "", "", ""]])))
    with firm_context(firm):
        actions = {a.action_id: a for a in CorporateAction.objects.select_related(
            "old_security")}
        assert set(actions) == {"CA-1", "CA-2"}
        assert actions["CA-1"].ratio_to == Decimal(4)
        assert actions["CA-1"].description == "4-for-1, record date 11/20"
        assert actions["CA-1"].old_security.ticker == "AAPL"
        assert actions["CA-2"].old_security.ticker == "XOM"
        # Received, updated by the second file, then applied: that file's date is its ex-date.
        assert list(CorporateAction.history.filter(action_id="CA-1").order_by("history_id")
                    .values_list("status", flat=True)) == ["received", "received", "applied"]


def test_models_feed_adds_a_version_per_model(firm, loaded, tmp_path):
    from models_hub.models import SecurityModel, SecurityModelVersion

    header = ["model_code", "model_name", "as_of_date", "cusip", "ticker", "weight"]
    load(firm, ff.write(tmp_path, "models_20261124.csv", ff.csv_bytes(header, [
        ["TECH", "Tech pair", "2026-11-24", ff.AAPL, "", "0.6"],
        ["TECH", "Tech pair", "2026-11-24", ff.MSFT, "", "0.4"],
        ["BAD", "Does not add up", "2026-11-24", ff.XOM, "", "0.9"]])))
    with firm_context(firm):
        assert list(SecurityModel.objects.values_list("code", flat=True)) == ["TECH"]
        version = SecurityModelVersion.objects.get()
        assert sorted((w.security.ticker, w.weight) for w in version.weights.all()) == [
            ("AAPL", Decimal("0.6")), ("MSFT", Decimal("0.4"))]
        assert "sum to 0.9" in QuarantinedRow.objects.get().reason


def test_trades_arriving_after_the_snapshot_clear_its_break(firm, loaded, tmp_path):
    load(firm, ff.write(tmp_path, "tax_lots_20261125.csv", ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.AAPL, "AAPL", "L3", "10", "2310.00", "2026-11-25", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""]])))
    smith = account(firm, "A-1")
    with firm_context(firm):
        assert AccountHold.objects.filter(account=smith, cleared_at__isnull=True,
                                          source="reconciliation:lots_vs_transactions").exists()
    load(firm, ff.write(tmp_path, "transactions_20261125.csv", ff.transactions([
        ["A-1", "T10", "2026-11-25", "", "buy", ff.AAPL, "", "10", "231", "-2310", "L3", "",
         ""]])))
    with firm_context(firm):
        assert not AccountHold.objects.filter(
            account=smith, cleared_at__isnull=True,
            source="reconciliation:lots_vs_transactions").exists()


def test_a_folder_loads_reference_first_and_trades_before_their_snapshot():
    from dataops.feeds.ordering import load_order

    names = ["tax_lots_20261124.csv", "cash_20261124.csv", "transactions_20261124.csv",
             "tax_lots_20260831.csv", "securities_20261124.csv", "accounts_20261124.csv",
             "tax_lots_20261124_1.csv", "prices_20261124.csv"]
    assert sorted(names, key=load_order) == [
        "securities_20261124.csv", "prices_20261124.csv", "accounts_20261124.csv",
        "tax_lots_20260831.csv", "transactions_20261124.csv", "tax_lots_20261124.csv",
        "tax_lots_20261124_1.csv", "cash_20261124.csv"]


def test_asset_classes_form_a_tree_from_their_codes(firm, loaded):
    from dataops.models import AssetClass

    with firm_context(firm):
        large = AssetClass.objects.get(code="EQ.US.LARGE")
        assert large.parent.code == "EQ.US" and large.parent.parent.code == "EQ"
        assert large.parent.parent.parent is None
