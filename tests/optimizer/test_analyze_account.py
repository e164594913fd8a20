"""One account analyzed from the database: the demo book loaded from its feeds, its model book,
then `manage.py analyze_account`."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Account
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
from optimizer.account_inputs import account_inputs
from optimizer.core.analyze import analyze
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db
BUSINESS_DATE = date(2026, 11, 24)


@pytest.fixture
def demo(tmp_path):
    firm, _ = demo_firm_ensure(code="OPTDEMO")
    folder = tmp_path / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", "30", "--seed", "5",
                 "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    call_command("load_feeds", "--firm", firm.code, str(folder), stdout=io.StringIO())
    model_book_ensure(firm=firm)
    return firm


def test_every_open_taxable_account_gets_an_actionable_analysis(demo):
    with firm_context(demo):
        accounts = list(Account.objects.filter(status="open", tax_status="taxable")
                        .exclude(program_code="")[:5])
        assert accounts
        for account in accounts:
            inputs = account_inputs(account, BUSINESS_DATE)
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(BUSINESS_DATE))
            assert result.status in {"trades", "no_trades", "relaxed"}, result.summary
            for trade in result.trades:
                assert trade.explanation and trade.shares > 0
                assert trade.security in inputs.securities
            assert result.after.tracking_error <= result.before.tracking_error + 1e-9


def test_analyze_account_command_prints_trades_with_reasons(demo):
    with firm_context(demo):
        account = (Account.objects.filter(status="open", tax_status="taxable")
                   .exclude(program_code="").order_by("account_number").first())
    out = io.StringIO()
    call_command("analyze_account", "--firm", demo.code, "--account", account.account_number,
                 "--as-of", BUSINESS_DATE.isoformat(), stdout=out)
    text = out.getvalue()
    assert text.startswith(f"{account.account_number} ")
    assert "tracking error" in text
    out = io.StringIO()
    call_command("analyze_account", "--firm", demo.code, "--account", account.account_number,
                 "--as-of", BUSINESS_DATE.isoformat(), "--save", stdout=out)
    from optimizer.models import Analysis

    with firm_context(demo):
        stored = Analysis.objects.get(account=account)
        trades = stored.trades.count()
    assert f"stored as analysis {stored.pk}" in out.getvalue()
    assert trades == text.count("\n  buy ") + text.count("\n  sell ")


def test_a_stored_analysis_keeps_every_trade_with_its_lots_and_reasons(demo):
    from optimizer.models import Analysis
    from optimizer.services import account_analyze

    with firm_context(demo):
        account = (Account.objects.filter(status="open", tax_status="taxable")
                   .exclude(program_code="").order_by("account_number").first())
        inputs = account_inputs(account, BUSINESS_DATE)
        expected = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                           **inputs.analyze_kwargs(BUSINESS_DATE))
        analysis = account_analyze(account=account, as_of=BUSINESS_DATE)
        stored = Analysis.objects.get(pk=analysis.pk)
        trades = list(stored.trades.select_related("security"))
    assert stored.status == expected.status and stored.summary == expected.summary
    # Deterministic: the same inputs give the same trades.
    assert sorted((t.security.ticker or t.security.cusip, t.side, t.shares) for t in trades) == \
        sorted((t.symbol, str(t.side), t.shares) for t in expected.trades)
    for trade in trades:
        assert trade.explanation and trade.reasons
        if trade.side == "sell":
            assert sum(Decimal(lot["shares"]) for lot in trade.lots) == trade.shares
    assert stored.before["tracking_error"] == pytest.approx(expected.before.tracking_error)


def test_an_excluded_asset_class_is_sold_out_not_left_at_its_band_edge(demo):
    """DESIGN §8: excluded asset classes at zero — even for the most tax-sensitive client, whose
    optimizer would otherwise stop selling at the edge of the class's drift band. Only a hard
    rule (a wash-sale window, do-not-sell) keeps a lot, and the analysis says which and why."""
    sold_out = kept = 0
    with firm_context(demo):
        accounts = list(Account.objects.filter(status="open", tax_status="taxable")
                        .exclude(program_code="").order_by("account_number")[:6])
        for account in accounts:
            excluded = _exclude_a_held_class(account)
            if excluded is None:
                continue
            inputs = account_inputs(account, BUSINESS_DATE)
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(BUSINESS_DATE))
            assert excluded in inputs.settings.excluded_asset_classes
            holding, sold = Counter(), Counter()
            for lot in inputs.snapshot.lots:
                if inputs.securities[lot.security].asset_class == excluded:
                    holding[lot.security] += lot.quantity
            for trade in result.trades:
                assert not (trade.asset_class == excluded and trade.side == "buy"), trade
                if trade.side == "sell":
                    sold[trade.security] += trade.shares
            for key, shares in holding.items():
                if sold[key] == shares:
                    sold_out += 1
                    continue
                symbol = inputs.securities[key].symbol
                assert any(f"although {excluded} is excluded" in note and symbol in note
                           for note in result.notes), (symbol, shares, sold[key], result.notes)
                kept += 1
    assert sold_out >= 1, (sold_out, kept)


def _exclude_a_held_class(account):
    """Exclude the smallest asset class the account holds that its limits let it exclude, and
    make the client as tax-sensitive as can be; the class's code, or None."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from accounts.services.settings import account_settings_update
    from rebal.audit import audit_context

    inputs = account_inputs(account, BUSINESS_DATE)
    by_class = Counter()
    for lot in inputs.snapshot.lots:
        security = inputs.securities[lot.security]
        by_class[security.asset_class] += lot.quantity * security.price
    for code, _ in reversed(by_class.most_common()):
        if code == "CASH":
            continue
        try:
            with transaction.atomic(), audit_context(system_job="tests"):
                account_settings_update(
                    account=account, reason="client exits this class", acting_user=None,
                    changes={"excluded_asset_classes": [code], "tax_sensitivity": "maximum"})
        except ValidationError:
            continue
        return code
    return None
