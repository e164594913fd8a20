"""Analyses between a corporate action's ex-date and the custodian's snapshot that shows it:
no phantom drift, and a spin-off handled by the firm's policy.

Firm A's model book (tests/models_hub/factories.py), accounts on BAL60 with large caps directly
held (LCAP_DIRECT: AAPL 60%, MSFT 40% of the 30% large-cap sleeve), each holding its target:
AAPL 18,000.00, MSFT 12,000.00, IJH 10,000.00, IJR 5,000.00, AGG 40,000.00, VNQ 10,000.00,
VMFXX 5,000.00 and 1,000.00 cash. AAPL splits 4-for-1 with the ex-date 2026-11-24 and the pay
date 2026-11-27: it closes at 400.00 on 2026-11-23 and at 100.00 from the ex-date.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Account
from accounts.services.settings import account_settings_update
from accounts.settings_resolution import effective_settings
from dataops.models import (
    CorporateAction,
    Price,
    RiskCovariance,
    RiskExposure,
    RiskSpecific,
    Security,
)
from dataops.services.corporate_actions import corporate_actions_apply_due
from models_hub.models import SpinoffPolicy
from optimizer.account_inputs import AccountNotAnalyzable, account_inputs
from optimizer.chunk_inputs import chunk_inputs
from optimizer.core.analyze import analyze
from optimizer.services import account_analyze
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests import data_factories as df
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
BEFORE, EX, PAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 27)
CLOSES = {"AAPL": "400", "MSFT": "400", "IJH": "50", "IJR": "100", "AGG": "100", "VNQ": "100",
          "VMFXX": "1"}
HOLDINGS = {"AAPL": ("45", "9000.00"), "MSFT": ("30", "9000.00"), "IJH": ("200", "9000.00"),
            "IJR": ("50", "4000.00"), "AGG": ("400", "42000.00"), "VNQ": ("100", "9500.00"),
            "VMFXX": ("5000", "5000.00")}


@pytest.fixture
def book(alice_firm):
    rows = build_model_book(alice_firm)
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        prices = df.feed_file(name="prices_20261123.csv")
        for ticker, close in CLOSES.items():
            Price.objects.create(security=rows.securities[ticker], as_of_date=BEFORE,
                                 close=Decimal(close), feed_file=prices)
        _risk_model(rows)
    return rows


def _risk_model(rows) -> None:
    """Two factors: stocks and stock funds on MARKET, the bond fund on RATES."""
    covariance = df.feed_file(name="risk_covariance_20261123.csv")
    for one, two, value in (("MARKET", "MARKET", "0.03"), ("RATES", "RATES", "0.002"),
                            ("MARKET", "RATES", "0")):
        RiskCovariance.objects.create(as_of_date=BEFORE, factor_1=one, factor_2=two,
                                      covariance=Decimal(value), feed_file=covariance)
    for ticker in CLOSES:
        factor = "RATES" if ticker in {"AGG", "VMFXX"} else "MARKET"
        exposure = "0.05" if ticker == "VMFXX" else "1"
        RiskExposure.objects.create(security=rows.securities[ticker], as_of_date=BEFORE,
                                    factor=factor, exposure=Decimal(exposure))
        RiskSpecific.objects.create(security=rows.securities[ticker], as_of_date=BEFORE,
                                    specific_variance=Decimal(
                                        "0.02" if ticker in {"AAPL", "MSFT"} else "0.0005"))


def _account(book, number: str) -> Account:
    personas = book.personas
    with audit_context(system_job="tests"):
        account = Account.objects.create(account_number=number, name=number,
                                         household=personas.household, program_code="BAL60")
    account_settings_update(account=account,
                            changes={"product_choices": {"EQ.US.LARGE": "LCAP_DIRECT"}},
                            reason="direct large caps", acting_user=personas.advisor)
    return account


def _snapshot(book, account: Account, day: date, **changed: str) -> None:
    """The account's custodian snapshot on `day`: HOLDINGS, with some quantities changed."""
    name = f"tax_lots_{day:%Y%m%d}.csv"
    with audit_context(system_job="tests"):
        from dataops.models import FeedFile

        file = FeedFile.objects.filter(name=name).first() or df.feed_file(name=name)
        df.snapshot(account, file=file, cash="1000.00", lots=[
            df.Lot(book.securities[ticker], changed.get(ticker, quantity), basis,
                   date(2022, 3, 1), lot_id=f"L-{ticker}")
            for ticker, (quantity, basis) in HOLDINGS.items()])


def _prices(book, day: date, **closes: str) -> None:
    with audit_context(system_job="tests"):
        file = df.feed_file(name=f"prices_{day:%Y%m%d}.csv")
        for ticker, close in {**CLOSES, **closes}.items():
            security = book.securities.get(ticker) or Security.objects.get(ticker=ticker)
            Price.objects.create(security=security, as_of_date=day, close=Decimal(close),
                                 feed_file=file)


def _apply(action: dict, as_of: date) -> None:
    with audit_context(system_job="tests"):
        CorporateAction.objects.create(**action)
        corporate_actions_apply_due(as_of=as_of)


def _split(book) -> dict:
    return {"action_id": "CA-AAPL", "type": "split", "effective_date": EX, "pay_date": PAY,
            "old_security": book.securities["AAPL"], "old_ticker": "AAPL",
            "ratio_from": Decimal(1), "ratio_to": Decimal(4)}


def _shares(inputs, ticker: str, book) -> Decimal:
    key = str((book.securities.get(ticker) or Security.objects.get(ticker=ticker)).pk)
    return sum((lot.quantity for lot in inputs.snapshot.lots if lot.security == key), Decimal(0))


def _weight(inputs, ticker: str, book) -> Decimal:
    prices = {key: security.price for key, security in inputs.securities.items()}
    value = inputs.snapshot.cash + sum((lot.quantity * prices[lot.security]
                                        for lot in inputs.snapshot.lots), Decimal(0))
    key = str(book.securities[ticker].pk)
    return _shares(inputs, ticker, book) * prices[key] / value


def _trades(inputs, as_of: date) -> list[tuple[str, str, Decimal]]:
    result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                     **inputs.analyze_kwargs(as_of))
    return sorted((trade.symbol, str(trade.side), trade.shares) for trade in result.trades)


def test_a_split_before_the_custodian_shows_it_is_analyzed_on_the_expected_lots(book):
    with firm_context(book.personas.firm):
        pending, split = _account(book, "CA-PENDING"), _account(book, "CA-SPLIT")
        for account in (pending, split):
            _snapshot(book, account, BEFORE)
        _apply(_split(book), EX)
        _prices(book, EX, AAPL="100")
        # The custodian already split one account's lots on the ex-date, not the other's.
        _snapshot(book, split, EX, AAPL="180")

        inputs = account_inputs(pending, EX)
        reference = account_inputs(split, EX)
        assert _shares(inputs, "AAPL", book) == 180
        assert _weight(inputs, "AAPL", book) == _weight(reference, "AAPL", book)
        assert round(_weight(inputs, "AAPL", book), 4) == Decimal("0.1782")  # 18,000 / 101,000
        [note] = inputs.notes[:1]
        assert note.startswith("AAPL: analyzed on the lots expected after CA-AAPL (Split, "
                               "ex-date 2026-11-24) (180 AAPL): prices are adjusted")
        assert not any("CA-AAPL" in n for n in reference.notes)
        # The same proposals as the account whose custodian already split, and no AAPL buy.
        trades = _trades(inputs, EX)
        assert trades == _trades(reference, EX)
        assert not [t for t in trades if t[0] == "AAPL" and t[1] == "buy"]
        # What the custodian's lots alone would have done: 45 AAPL at 100.00 look like 4.5%
        # of the account against 18%, and the optimizer buys AAPL back.
        custodian = tuple(replace(lot, quantity=Decimal(45)) if lot.lot_id == "L-AAPL" else lot
                          for lot in inputs.snapshot.lots)
        phantom = _trades(replace(inputs, snapshot=replace(inputs.snapshot, lots=custodian)), EX)
        assert [t for t in phantom if t[0] == "AAPL" and t[1] == "buy"]

        # The nightly chunk sees the same.
        chunk = {item.account_id: item for item in chunk_inputs([pending.pk, split.pk], EX)}
        assert chunk[pending.pk].inputs.snapshot == inputs.snapshot
        assert chunk[pending.pk].inputs.notes == inputs.notes
        assert chunk[split.pk].inputs.snapshot == reference.snapshot

        # Once the custodian's snapshot is split, it is used as it is.
        _snapshot(book, pending, date(2026, 11, 25), AAPL="180")
        _prices(book, date(2026, 11, 25), AAPL="100")
        later = account_inputs(pending, date(2026, 11, 25))
        assert _shares(later, "AAPL", book) == 180
        assert not any("CA-AAPL" in n for n in later.notes)
        assert [lot.lot_id for lot in later.snapshot.lots] == [
            lot.lot_id for lot in reference.snapshot.lots]


def test_shares_paid_before_the_ex_date_are_analyzed_on_the_lots_before(book):
    # AAPL's own 2020 split was paid on 2020-08-28, before its 2020-08-31 ex-date: here it is
    # paid on 2026-11-23, the custodian shows 180 shares that day while AAPL still closes at
    # 400.00. The action is applied from its pay date, so the expected lots exist.
    with firm_context(book.personas.firm):
        early = _account(book, "CA-EARLY")
        _snapshot(book, early, date(2026, 11, 20))
        _snapshot(book, early, BEFORE, AAPL="180")
        with audit_context(system_job="tests"):
            CorporateAction.objects.create(**{**_split(book), "pay_date": BEFORE})
            assert corporate_actions_apply_due(as_of=BEFORE).applied == 1
        inputs = account_inputs(early, BEFORE)
        assert _shares(inputs, "AAPL", book) == 45
        assert inputs.notes[0] == (
            "AAPL: analyzed on the lots before CA-AAPL (Split, ex-date 2026-11-24) (45 AAPL): "
            "the custodian's lots are adjusted for it, prices not yet.")
        assert round(_weight(inputs, "AAPL", book), 4) == Decimal("0.1782")
        # From the ex-date the prices are split too: the custodian's lots as they are.
        _prices(book, EX, AAPL="100")
        assert _shares(account_inputs(early, EX), "AAPL", book) == 180


def test_lots_matching_neither_side_skip_the_account_with_the_reason(book):
    with firm_context(book.personas.firm):
        traded = _account(book, "CA-TRADED")
        _snapshot(book, traded, BEFORE)
        _apply(_split(book), EX)
        _prices(book, EX, AAPL="100")
        _snapshot(book, traded, EX, AAPL="30")  # sold 15 pre-split shares: neither side
        with pytest.raises(AccountNotAnalyzable) as refused:
            account_inputs(traded, EX)
        reason = str(refused.value)
        assert reason == ("Its positions in AAPL (30 AAPL) match neither the lots before CA-AAPL "
                          "(Split, ex-date 2026-11-24) (45 AAPL) nor the lots expected after it "
                          "(180 AAPL): which lots to analyze cannot be worked out until the "
                          "custodian's snapshot agrees.")
        [item] = chunk_inputs([traded.pk], EX)
        assert item.inputs is None and item.failure == reason
    with pytest.raises(CommandError, match="CA-TRADED is not analyzed: Its positions in AAPL"):
        call_command("analyze_account", "--firm", book.personas.firm.code, "--account",
                     "CA-TRADED", "--as-of", EX.isoformat(), stdout=io.StringIO())
    client = Client()
    client.force_login(book.personas.overlay_manager)
    refused = client.post(f"/api/v1/account-analyses/{traded.pk}/what-if/",
                          {"changes": {}, "as_of": EX.isoformat()},
                          content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == reason


def _spinoff(book) -> dict:
    # MSFT plays Abbott: 1 ABBV per share, 52.0249% of the basis to ABBV.
    return {"action_id": "CA-ABBV", "type": "spinoff", "effective_date": EX,
            "pay_date": PAY, "old_security": book.securities["MSFT"], "old_ticker": "MSFT",
            "new_cusip": "00287Y109", "new_ticker": "ABBV", "new_name": "AbbVie Inc.",
            "ratio_from": Decimal(1), "ratio_to": Decimal(1),
            "basis_allocation_pct": Decimal("52.0249")}


@pytest.mark.parametrize("policy", ["keep", "sell"])
def test_a_spinoff_in_the_window_is_analyzed_with_the_firms_policy(book, policy):
    with firm_context(book.personas.firm):
        with audit_context(system_job="tests"):
            SpinoffPolicy.objects.create(policy=policy)
        holder = _account(book, "CA-HOLDER")
        _snapshot(book, holder, BEFORE)
        _apply(_spinoff(book), EX)
        # MSFT drops from 400.00 to 250.00; ABBV trades at 150.00, under its allocated basis.
        _prices(book, EX, MSFT="250", ABBV="150")
        abbv = Security.objects.get(ticker="ABBV")

        inputs = account_inputs(holder, EX)
        lots = {lot.lot_id: lot for lot in inputs.snapshot.lots
                if lot.security in {str(abbv.pk), str(book.securities["MSFT"].pk)}}
        # 9,000.00 × 52.0249% = 4,682.241 → 4,682.24 to ABBV, 4,317.76 stays with MSFT; the
        # holding period carries over.
        assert {lot_id: (lot.quantity, lot.cost_basis, lot.acquired)
                for lot_id, lot in lots.items()} == {
            "L-MSFT": (Decimal(30), Decimal("4317.76"), date(2022, 3, 1)),
            "L-MSFT-CA-ABBV": (Decimal(30), Decimal("4682.24"), date(2022, 3, 1))}
        assert inputs.snapshot.cash == Decimal("1000.00")

        # The nightly chunk: the same lots and the same settings (the policy's do-not-sell).
        [item] = chunk_inputs([holder.pk], EX)
        assert item.inputs.snapshot == inputs.snapshot
        assert item.inputs.settings == inputs.settings
        settings = effective_settings(holder)
        analysis = account_analyze(account=holder, as_of=EX)
        sold = {t.security.ticker for t in analysis.trades.select_related("security")
                if t.side == "sell"}
    if policy == "keep":
        assert str(abbv.pk) in inputs.settings.do_not_sell
        assert settings.values["do_not_sell"].item_sources[abbv.pk].label == (
            "corporate action CA-ABBV (spin-off ABBV kept: firm policy)")
        assert "ABBV" not in sold
    else:
        assert str(abbv.pk) not in inputs.settings.do_not_sell
        assert "ABBV" in sold
