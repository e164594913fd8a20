"""The demo model book: built on a loaded demo book, every account's target resolves, the
customizations are within the limits, and a second run changes nothing."""

from __future__ import annotations

import contextlib
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, AccountHold, AccountSettings
from accounts.targets import resolve_targets
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
from models_hub.models import (
    ApprovedAlternative,
    ModelChange,
    ModelSubscription,
    Program,
    SecurityModel,
)
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db
BUSINESS_DATE = date(2026, 11, 24)


@pytest.fixture
def demo(tmp_path):
    folder = tmp_path / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", "80", "--seed", "7", "--date",
                 BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    firm, _ = demo_firm_ensure()
    # load_feeds exits non-zero for feeds no room loads yet; the others are what matters here.
    with contextlib.suppress(CommandError):
        call_command("load_feeds", "--firm", firm.code, str(folder), stdout=io.StringIO())
    return firm


def test_the_demo_book_gets_a_realistic_model_book(demo):
    summary = model_book_ensure(firm=demo)
    assert summary.refused_customizations == []
    assert summary.customized_accounts > 0 and summary.published >= 20
    with firm_context(demo):
        assert set(Program.objects.values_list("code", flat=True)) == {
            "CONS30", "INCOME", "BAL60", "GROWTH80", "EQUITY100", "CONS30-MUNI", "BAL60-MUNI",
            "GROWTH80-MUNI"}
        kinds = dict(SecurityModel.objects.values_list("code", "kind"))
        assert kinds["LCAP_DIRECT"] == "direct_index" and kinds["LCAP_FUND"] == "mutual_fund"
        assert kinds["LCAP_DIVIDEND"] == "third_party" and kinds["MCAP_ETF"] == "etf"
        assert not SecurityModel.objects.filter(asset_class__isnull=True).exists()
        assert ApprovedAlternative.objects.filter(product__code="LCAP_DIRECT").exists()
        subscription = ModelSubscription.objects.get()
        assert (subscription.provider.code, subscription.status) == ("NQA", "active")
        # Every change was approved by someone other than its author.
        assert all(c.decided_by_id != c.author_id for c in ModelChange.objects.all())
        accounts = list(Account.objects.all())
        targets = resolve_targets(accounts, BUSINESS_DATE)
        problems = {a.account_number: t.errors for a, t in
                    ((a, targets[a.pk]) for a in accounts) if not t.ok}
        assert problems == {}
        assert not AccountHold.objects.filter(source="program:unknown").exists()
        customized = AccountSettings.objects.count()
        weights = [sum(t.weights.values()) for t in targets.values()]
        assert all(abs(w - 1) < 1e-9 for w in weights)
    again = model_book_ensure(firm=demo)
    assert (again.published, again.customized_accounts, again.limits) == (0, 0, 0)
    with firm_context(demo):
        assert AccountSettings.objects.count() == customized
