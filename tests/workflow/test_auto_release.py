"""Automatic release of auto-trade batches, when the firm chose it: released by the system right
after its approval under the policy; held for a person (with the reason) when the release would
be refused; review batches never."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rebal.firm_context import firm_context
from tests.workflow.trade_book import trade_book
from workflow.models import BatchStatus, EventKind, Order, TradeBatch, TradeEvent
from workflow.selectors_memorandum import order_memorandum
from workflow.services.batches import batches_create_for_run
from workflow.services.release import batches_auto_release, release_control_update

pytestmark = pytest.mark.django_db


def _sorted(personas, **controls):
    book = trade_book(personas)
    with firm_context(book.firm):
        if controls:
            release_control_update(acting_user=personas.admin, reason="firm's choice",
                                   **{"releases_stopped": False, "max_order_value": None,
                                      **controls})
        batches_create_for_run(run_id=book.run.pk)
        counts = batches_auto_release(run_id=book.run.pk)
    return book, counts


def _by_disposition(book):
    return {b.disposition: b for b in TradeBatch.objects.filter(run=book.run)}


def test_off_by_default_auto_trade_waits_for_a_person(alice_firm):
    book, counts = _sorted(alice_firm)
    with firm_context(book.firm):
        assert counts == {}
        assert _by_disposition(book)["auto_trade"].status == BatchStatus.APPROVED
        assert not Order.objects.exists()


def test_chosen_the_system_releases_auto_trade_batches_only(alice_firm):
    book, counts = _sorted(alice_firm, auto_release=True)
    with firm_context(book.firm):
        batches = _by_disposition(book)
        auto, review = batches["auto_trade"], batches["review"]
        orders = list(Order.objects.filter(batch=auto).order_by("side"))
        memo = order_memorandum(orders[0])
        assert counts == {"auto_released": 1, "auto_release_held": 0}
        assert (auto.status, auto.released_by) == (BatchStatus.RELEASED, None)
        assert review.status == BatchStatus.PENDING_REVIEW
        assert not Order.objects.filter(batch=review).exists()
    assert [(o.side, o.shares) for o in orders] == [("buy", Decimal(5)), ("sell", Decimal(10))]
    assert "auto-release" in memo.placed_by
    assert memo.approved_by.startswith("system, under policy")


def test_a_release_the_controls_refuse_is_held_with_the_reason(alice_firm):
    book, counts = _sorted(alice_firm, auto_release=True, max_order_value=Decimal(500))
    with firm_context(book.firm):
        auto = _by_disposition(book)["auto_trade"]
        held = TradeEvent.objects.get(kind=EventKind.RELEASE_HELD, batch=auto)
        assert counts == {"auto_released": 0, "auto_release_held": 1}
        assert auto.status == BatchStatus.APPROVED and not Order.objects.exists()
    assert "order limit 500.00" in held.reason
