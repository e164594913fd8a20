"""The impact preview of a draft allocation change: the accounts whose target moves, the
estimated move's turnover, realized gain and tax, the gain-budget breaches, progress by chunk,
and an approval that keeps the preview's result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.settings_resolution import account_rows, effective_settings_batch
from models_hub.models import ModelChange
from models_hub.services import model_change_reject
from optimizer.chunk_inputs import _tax_rates
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.workflow.impact_book import build_impact_book, propose_mid_overweight
from workflow.models import ImpactPreview, ImpactPreviewAccount
from workflow.services.impact import (
    change_approve_with_impact,
    impact_preview_chunk,
    impact_preview_continue,
    impact_preview_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice_firm):
    return build_impact_book(alice_firm)


def _run(preview: ImpactPreview, chunk: int) -> list[int | None]:
    offsets: list[int | None] = []
    offset: int | None = 0
    while offset is not None:
        offset = impact_preview_chunk(preview_id=preview.pk, offset=offset, chunk=chunk)
        offsets.append(offset)
    return offsets


def test_the_preview_finds_the_affected_accounts_and_what_moving_them_costs(rows):
    firm = rows.book.personas.firm
    with firm_context(firm):
        change = propose_mid_overweight(rows)
        preview = impact_preview_request(change=change, acting_user=rows.book.ipc)
        assert (preview.status, preview.accounts_total) == ("queued", 5)  # 2 of the personas
        assert _run(preview, chunk=2) == [2, 4, None]  # three chunks, progress after each
        preview.refresh_from_db()
        assert (preview.status, preview.accounts_done, preview.accounts_affected,
                preview.accounts_breaching) == ("done", 5, 2, 1)
        by_account = {r.account_id: r for r in ImpactPreviewAccount.objects.filter(
            preview=preview)}
        assert set(by_account) == {rows.accounts["steady"].pk, rows.accounts["budget"].pk}
        steady = by_account[rows.accounts["steady"].pk]
        # 3% of $100,000 moves from IVV to IJH; the $90-basis lot is sold first: 30 x $10.
        assert steady.value == Decimal("100000.00")
        assert steady.turnover_value == Decimal("3000.00")
        assert steady.realized_gain == Decimal("300.00")
        assert steady.largest_change == Decimal("0.03")
        assert "EQ.US.LARGE 30.0% → 27.0%" in steady.target_change
        rate = Decimal(str(_tax_rates(effective_settings_batch(
            account_rows([rows.accounts["steady"].pk]))[rows.accounts["steady"].pk]).long_term))
        assert steady.estimated_tax == (Decimal(300) * rate).quantize(Decimal("0.01")) > 0
        assert not steady.breaches_budget and steady.gain_budget is None
        budget = by_account[rows.accounts["budget"].pk]
        assert budget.breaches_budget and budget.gain_budget == Decimal(100)
        assert preview.estimated_tax == 2 * steady.estimated_tax
        assert preview.turnover_percent == "3.00%"
        change.refresh_from_db()
        assert change.impact["preview"] == preview.pk
        assert change.impact["accounts_affected"] == 2
        assert change.impact["accounts_breaching_gain_budget"] == 1
        assert _run(preview, chunk=2) == [None]  # a finished preview is not run again


def test_approval_needs_the_finished_preview_and_a_second_member(rows):
    firm = rows.book.personas.firm
    with firm_context(firm):
        change = propose_mid_overweight(rows)
        with pytest.raises(ValidationError, match="impact preview has not finished"):
            change_approve_with_impact(change=change, reason="fine",
                                       acting_user=rows.book.ipc2)
        preview = impact_preview_request(change=change, acting_user=rows.book.ipc)
        _run(preview, chunk=100)
        change.refresh_from_db()
        preview.refresh_from_db()
        with pytest.raises(ValidationError, match="second member"):
            change_approve_with_impact(change=change, reason="mine", acting_user=rows.book.ipc)
        published = change_approve_with_impact(change=change, reason="impact is modest",
                                               acting_user=rows.book.ipc2)
        published.refresh_from_db()
        assert published.status == ModelChange.Status.PUBLISHED
        assert published.decided_by == rows.book.ipc2
        assert published.impact["preview"] == preview.pk
        assert published.impact["estimated_tax"] == str(preview.estimated_tax)
        with pytest.raises(ValidationError, match="Only a draft"):
            impact_preview_request(change=published, acting_user=rows.book.ipc)


def test_a_preview_stops_when_its_draft_is_decided_and_a_failing_chunk_says_why(rows):
    firm = rows.book.personas.firm
    with firm_context(firm):
        change = propose_mid_overweight(rows)
        preview = impact_preview_request(change=change, acting_user=rows.book.ipc)
        assert impact_preview_chunk(preview_id=preview.pk, offset=0, chunk=2) == 2
        model_change_reject(change=change, reason="not now", acting_user=rows.book.ipc2)
        assert impact_preview_chunk(preview_id=preview.pk, offset=2, chunk=2) is None
        preview.refresh_from_db()
        assert preview.status == "failed"
        assert preview.error == "The draft was rejected before its preview finished."
        draft = propose_mid_overweight(rows)
        other = impact_preview_request(change=draft, acting_user=rows.book.ipc)
        with audit_context(system_job="tests", reason="a draft damaged behind the service"):
            draft.proposed = {"code": "BAL60"}
            draft.save()
    # As the task runs it: in the firm's context, whose transaction an exception would end.
    with firm_context(firm):
        impact_preview_continue(preview_id=other.pk, offset=0)
    with firm_context(firm):
        other.refresh_from_db()
        assert (other.status, other.error) == ("failed", "KeyError: 'name'")
