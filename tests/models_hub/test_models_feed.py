"""The models feed: each upload a new version; a model naming an unknown security is
quarantined whole, with no placeholder made; the provider is linked to the hub."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Account
from accounts.targets import resolve_target
from dataops.models import FeedPolicy, QuarantinedRow, Security, UnknownSecurity
from models_hub.models import ModelProvider, SecurityModel, SecurityModelVersion
from models_hub.services import product_propose, program_propose
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.django_db
HEADER = ["model_code", "model_name", "provider_code", "as_of_date", "cusip", "ticker", "weight"]


def load(firm, path) -> str:
    out = io.StringIO()
    call_command("load_feeds", "--firm", firm.code, str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def firm(alice_firm, tmp_path):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedPolicy.objects.create(max_bad_row_fraction=Decimal("0.9"))
    load(alice_firm.firm, ff.write(tmp_path, "securities_20261123.csv", ff.securities()))
    return alice_firm.firm


def test_each_upload_is_a_version_and_an_unknown_security_quarantines_its_model(firm, tmp_path):
    folder = tmp_path / "day1"
    folder.mkdir()
    load(firm, ff.write(folder, "models_20261124.csv", ff.csv_bytes(HEADER, [
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-24", ff.AAPL, "", "0.6"],
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-24", ff.MSFT, "", "0.4"],
        ["NQA_NEW", "Northfield New", "NQA", "2026-11-24", ff.XOM, "", "0.5"],
        ["NQA_NEW", "Northfield New", "NQA", "2026-11-24", "", "ZZZQ", "0.5"]])))
    with firm_context(firm):
        assert list(SecurityModel.objects.values_list("code", flat=True)) == ["NQA_TECH"]
        model = SecurityModel.objects.get()
        assert model.provider == ModelProvider.objects.get(code="NQA")
        assert model.kind == "third_party" and model.asset_class is None
        reasons = dict(QuarantinedRow.objects.values_list("line_number", "reason"))
        assert reasons[5] == ("unknown security ZZZQ: add it to the security master before a "
                              "model holds it")
        assert reasons[4] == "model 'NQA_NEW' not loaded: line 5 has " + reasons[5]
        # A model is not a holding: no placeholder, nothing queued.
        assert not Security.objects.filter(ticker="ZZZQ").exists()
        assert not UnknownSecurity.objects.exists()
    folder = tmp_path / "day2"
    folder.mkdir()
    load(firm, ff.write(folder, "models_20261125.csv", ff.csv_bytes(HEADER, [
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-25", ff.AAPL, "", "0.5"],
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-25", ff.MSFT, "", "0.5"]])))
    with firm_context(firm):
        versions = list(SecurityModelVersion.objects.filter(model__code="NQA_TECH")
                        .order_by("as_of_date"))
        assert [v.as_of_date for v in versions] == [date(2026, 11, 24), date(2026, 11, 25)]
        assert versions[0].weights.count() == 2  # the earlier version is kept whole


def test_a_third_party_model_joins_a_program_and_targets_follow_its_uploads(alice_firm, firm,
                                                                             tmp_path):
    from dataops.models import AssetClass
    from tests.models_hub.factories import committee

    ipc, ipc2 = committee(alice_firm)
    load(firm, ff.write(tmp_path, "models_20261124.csv", ff.csv_bytes(HEADER, [
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-24", ff.AAPL, "", "0.6"],
        ["NQA_TECH", "Northfield Tech", "NQA", "2026-11-24", ff.MSFT, "", "0.4"]])))
    from models_hub.services import allocation_propose, model_change_approve

    with firm_context(firm):
        large = AssetClass.objects.get(code="EQ.US.LARGE")
        model = SecurityModel.objects.get(code="NQA_TECH")
        model_change_approve(change=product_propose(
            code="NQA_TECH", name="Northfield Tech", asset_class=large, kind="third_party",
            product=model, reason="place it in large cap", acting_user=ipc),
            reason="ok", acting_user=ipc2)
        allocation = model_change_approve(change=allocation_propose(
            code="ALL_LARGE", name="All large cap", risk_profile="aggressive",
            weights={large.pk: "1"}, reason="a sleeve", acting_user=ipc), reason="ok",
            acting_user=ipc2).allocation
        model_change_approve(change=program_propose(
            code="TECH", name="Tech sleeve", allocation=allocation,
            products={large.pk: model}, reason="sleeve", acting_user=ipc), reason="ok",
            acting_user=ipc2)
        with audit_context(system_job="tests"):
            account = Account.objects.create(account_number="S-1", name="Sleeve",
                                             household=alice_firm.household, program_code="TECH")
        weights = resolve_target(account, date(2026, 11, 24)).weights
    assert sorted(weights.values()) == [Decimal("0.4"), Decimal("0.6")]
