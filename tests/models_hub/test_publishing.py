"""The model book's structures and their publication: drafts, a second committee member's
approval, history naming both, and the bad input that is refused with nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from models_hub.book import ModelBook
from models_hub.models import (
    AllocationWeight,
    AssetAllocation,
    ModelChange,
    Program,
    ProgramProduct,
    SecurityModel,
    SecurityModelVersion,
)
from models_hub.services import (
    allocation_propose,
    model_change_approve,
    model_change_reject,
    model_change_withdraw,
    product_propose,
    program_propose,
)
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
BAL60_MID_OVERWEIGHT = {"EQ.US.LARGE": "0.27", "EQ.US.MID": "0.13", "EQ.US.SMALL": "0.05",
                        "FI.US.AGG": "0.40", "RE.US": "0.10", "CASH": "0.05"}


@pytest.fixture
def book(alice_firm):
    return build_model_book(alice_firm)


def _propose_mid_overweight(book, weights=None, **extra):
    return allocation_propose(code="BAL60", name="Balanced 60/40", risk_profile="moderate",
                              weights=book.weights(weights or BAL60_MID_OVERWEIGHT),
                              reason="overweight mid cap", acting_user=book.ipc,
                              allocation=book.allocations["BAL60"], **extra)


def _bal60_weights() -> dict[str, Decimal]:
    return {w.asset_class.code: w.weight for w in
            AllocationWeight.objects.filter(allocation__code="BAL60").select_related(
                "asset_class")}


def test_structures_are_separate_and_complete(book):
    with firm_context(book.personas.firm):
        allocation = AssetAllocation.objects.get(code="BAL60")
        assert allocation.risk_profile == "moderate"
        assert sum(w.weight for w in allocation.weights.all()) == 1
        product = SecurityModel.objects.get(code="LCAP_DIRECT")
        assert (product.asset_class.code, product.kind) == ("EQ.US.LARGE", "direct_index")
        version = SecurityModelVersion.objects.get(model=product)
        assert version.change.status == "published" and version.feed_file is None
        assert sorted((w.security.ticker, w.weight) for w in version.weights.all()) == [
            ("AAPL", Decimal("0.6")), ("MSFT", Decimal("0.4"))]
        program = Program.objects.get(code="BAL60")
        assert program.allocation == allocation and program.parent is None
        assert {p.asset_class.code: p.product.code for p in
                ProgramProduct.objects.filter(program=program)} == {
            "EQ.US.LARGE": "LCAP_ETF", "EQ.US.MID": "MCAP_ETF", "EQ.US.SMALL": "SCAP_ETF",
            "FI.US.AGG": "BOND_ETF", "RE.US": "REIT_ETF", "CASH": "CASH_MMF"}
        loaded = ModelBook.load(as_of=version.as_of_date)
        assert loaded.alternatives[book.classes["EQ.US.LARGE"].pk] == {
            book.products["LCAP_FUND"].pk, book.products["LCAP_DIRECT"].pk}
        assert [loaded.security_labels[s] for s in loaded.equivalence_of[
            book.securities["VOO"].pk].members] == ["IVV", "SPY", "VOO"]


def test_a_change_is_a_draft_until_a_second_member_approves(book):
    with firm_context(book.personas.firm):
        change = _propose_mid_overweight(book)
        assert change.status == "draft"
        assert change.summary == ("Allocation BAL60: US Large Cap 30.00% → 27.00%; "
                                  "US Mid Cap 10.00% → 13.00%")
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.10")
        published = model_change_approve(change=change, reason="agreed at the meeting",
                                         acting_user=book.ipc2)
        assert published.status == "published" and published.decided_by == book.ipc2
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.13")
        allocation = AssetAllocation.objects.get(code="BAL60")
        assert allocation.revision == 2
        # History shows both: the author on the draft, the approver on the live rows.
        drafted, decided = change.history.order_by("history_id")
        assert (drafted.history_user, drafted.history_change_reason) == (
            book.ipc, "overweight mid cap")
        assert (decided.history_user, decided.status) == (book.ipc2, "published")
        live = AllocationWeight.history.filter(
            allocation_id=allocation.pk, asset_class__code="EQ.US.MID").latest("history_id")
        assert live.history_user == book.ipc2
        assert live.history_change_reason == (
            f"Change #{change.pk} proposed by ipc@alice.test (overweight mid cap); approved "
            "by ipc2@alice.test: agreed at the meeting")


def test_the_author_cannot_approve_their_own_draft(book):
    with firm_context(book.personas.firm):
        change = _propose_mid_overweight(book)
        with pytest.raises(ValidationError, match="You proposed this change: a second member"):
            model_change_approve(change=change, reason="looks good to me",
                                 acting_user=book.ipc)
        change.refresh_from_db()
        assert change.status == "draft"
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.10")


def test_only_the_committee_approves(book):
    with firm_context(book.personas.firm):
        change = _propose_mid_overweight(book)
        with pytest.raises(ValidationError, match="Only members of the investment policy"):
            model_change_approve(change=change, reason="sure",
                                 acting_user=book.personas.advisor)
        # A firm admin may act in any role of the firm.
        model_change_approve(change=change, reason="as admin", acting_user=book.personas.admin)
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.13")


def test_weights_that_do_not_sum_to_one_are_refused(book):
    bad = {**BAL60_MID_OVERWEIGHT, "EQ.US.MID": "0.20"}
    with firm_context(book.personas.firm):
        drafts = ModelChange.objects.count()
        with pytest.raises(ValidationError, match=r"sum to 1\.07, not 1 \(within 0\.0001\)"):
            _propose_mid_overweight(book, bad)
        with pytest.raises(ValidationError, match=r"sum to 0\.5, not 1"):
            product_propose(code="HALF", name="Half", asset_class=book.classes["EQ.US.LARGE"],
                            kind="etf", weights={book.securities["IVV"].pk: "0.5"},
                            reason="x", acting_user=book.ipc)
        assert ModelChange.objects.count() == drafts
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.10")


def test_an_inheritance_cycle_is_refused(book):
    with firm_context(book.personas.firm):
        child = book.publish(program_propose(
            code="BAL60-A", name="A", parent=book.programs["BAL60"], reason="variant",
            acting_user=book.ipc)).program
        grandchild = book.publish(program_propose(
            code="BAL60-B", name="B", parent=child, reason="variant of the variant",
            acting_user=book.ipc)).program
        with pytest.raises(ValidationError,
                           match="Programs inherit in a cycle: BAL60-A → BAL60-B → BAL60-A"):
            program_propose(code="BAL60-A", name="A", parent=grandchild, reason="oops",
                            acting_user=book.ipc, program=child)
        child.refresh_from_db()
        assert child.parent == book.programs["BAL60"]


def test_a_stale_draft_cannot_be_published(book):
    with firm_context(book.personas.firm):
        first = _propose_mid_overweight(book)
        second = _propose_mid_overweight(book, {**BAL60_MID_OVERWEIGHT, "EQ.US.MID": "0.11",
                                                "EQ.US.LARGE": "0.29"})
        model_change_approve(change=first, reason="yes", acting_user=book.ipc2)
        with pytest.raises(ValidationError, match="has changed since this draft was made"):
            model_change_approve(change=second, reason="yes", acting_user=book.ipc2)
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.13")


def test_reject_and_withdraw(book):
    with firm_context(book.personas.firm):
        change = _propose_mid_overweight(book)
        with pytest.raises(ValidationError, match="Only the author withdraws"):
            model_change_withdraw(change=change, reason="no", acting_user=book.ipc2)
        model_change_reject(change=change, reason="not this quarter", acting_user=book.ipc2)
        change.refresh_from_db()
        assert (change.status, change.decision_reason) == ("rejected", "not this quarter")
        with pytest.raises(ValidationError, match="only a draft can be approved"):
            model_change_approve(change=change, reason="x", acting_user=book.personas.admin)
        other = _propose_mid_overweight(book)
        model_change_withdraw(change=other, reason="rethinking", acting_user=book.ipc)
        assert _bal60_weights()["EQ.US.MID"] == Decimal("0.10")


def test_a_program_must_implement_every_asset_class_of_its_allocation(book):
    with firm_context(book.personas.firm):
        with pytest.raises(ValidationError, match="has no product for US Real Estate"):
            program_propose(code="THIN", name="Thin", allocation=book.allocations["BAL60"],
                            products={book.classes["EQ.US.LARGE"].pk: book.products["LCAP_ETF"],
                                      book.classes["EQ.US.MID"].pk: book.products["MCAP_ETF"],
                                      book.classes["EQ.US.SMALL"].pk: book.products["SCAP_ETF"],
                                      book.classes["FI.US.AGG"].pk: book.products["BOND_ETF"],
                                      book.classes["CASH"].pk: book.products["CASH_MMF"]},
                            reason="x", acting_user=book.ipc)
        with pytest.raises(ValidationError, match="LCAP_ETF implements US Large Cap, not US Mid"):
            program_propose(code="WRONG", name="Wrong", parent=book.programs["BAL60"],
                            products={book.classes["EQ.US.MID"].pk: book.products["LCAP_ETF"]},
                            reason="x", acting_user=book.ipc)
        # An allocation change that would leave a program without a product is refused too.
        with pytest.raises(ValidationError, match="program BAL60 would not resolve"):
            allocation_propose(
                code="BAL60", name="B", risk_profile="moderate", reason="x",
                acting_user=book.ipc, allocation=book.allocations["BAL60"],
                weights={**book.weights(BAL60_MID_OVERWEIGHT),
                         book.classes["EQ.US.LARGE"].pk: Decimal("0.17"),
                         book.classes["EQ"].pk: Decimal("0.10")})


def test_a_product_naming_an_inactive_security_is_refused(book):
    from tests.data_factories import security

    with firm_context(book.personas.firm):
        from rebal.audit import audit_context

        with audit_context(system_job="tests"):
            placeholder = security(ticker="ZZZZ", status="placeholder")
        with pytest.raises(ValidationError, match="not active in the security master"):
            product_propose(code="ODD", name="Odd", asset_class=book.classes["EQ.US.LARGE"],
                            kind="etf", weights={placeholder.pk: "1"}, reason="x",
                            acting_user=book.ipc)
