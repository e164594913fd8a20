"""Trade batches: made from a sorted run, reviewed (edits with reasons re-checking the hard
constraints, four eyes), approved or rejected, consent, the release switch, release to orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.services.settings import account_settings_update
from rebal.firm_context import firm_context
from tests.workflow.trade_book import trade_book
from workflow.models import (
    BatchStatus,
    BatchTrade,
    EventKind,
    Order,
    OrderStatus,
    TradeBatch,
    TradeEvent,
)
from workflow.services.batch_states import (
    BATCH_TRANSITIONS,
    TransitionRefused,
    batch_move,
    order_move,
)
from workflow.services.batches import (
    batch_approve,
    batch_reject,
    batch_trade_edit,
    batches_create_for_run,
    client_consent_record,
)
from workflow.services.release import batch_release, release_control_update

pytestmark = pytest.mark.django_db

B, OS = BatchStatus, OrderStatus
# Written out independently of workflow.services.batch_states: the moves the issue allows.
ALLOWED_BATCH = {
    (B.PROPOSED, B.PENDING_REVIEW), (B.PROPOSED, B.APPROVED),
    (B.PENDING_REVIEW, B.APPROVED), (B.PENDING_REVIEW, B.REJECTED),
    (B.APPROVED, B.RELEASED),
    (B.RELEASED, B.ACKNOWLEDGED), (B.RELEASED, B.PARTIALLY_FILLED), (B.RELEASED, B.CANCELLED),
    (B.ACKNOWLEDGED, B.PARTIALLY_FILLED), (B.ACKNOWLEDGED, B.FILLED),
    (B.ACKNOWLEDGED, B.CANCELLED), (B.PARTIALLY_FILLED, B.FILLED),
}
ALLOWED_ORDER = {
    (OS.RELEASED, OS.ACKNOWLEDGED), (OS.RELEASED, OS.CANCELLED),
    (OS.ACKNOWLEDGED, OS.PARTIALLY_FILLED), (OS.ACKNOWLEDGED, OS.FILLED),
    (OS.ACKNOWLEDGED, OS.CANCELLED), (OS.PARTIALLY_FILLED, OS.PARTIALLY_FILLED),
    (OS.PARTIALLY_FILLED, OS.FILLED), (OS.PARTIALLY_FILLED, OS.CANCELLED),
}


@pytest.mark.parametrize(("start", "to"), list(product(B.values, B.values)))
def test_batch_state_table(start, to):
    batch = TradeBatch(status=start)
    assert (to in BATCH_TRANSITIONS[start]) == ((start, to) in ALLOWED_BATCH)
    if (start, to) in ALLOWED_BATCH:
        batch_move(batch, to)
        assert batch.status == to
    else:
        with pytest.raises(TransitionRefused):
            batch_move(batch, to)
        assert batch.status == start


@pytest.mark.parametrize(("start", "to"), list(product(OS.values, OS.values)))
def test_order_state_table(start, to):
    order = Order(status=start, client_order_id="X-1")
    if (start, to) in ALLOWED_ORDER:
        order_move(order, to)
        assert order.status == to
    else:
        with pytest.raises(TransitionRefused):
            order_move(order, to)


@pytest.fixture
def made(alice_firm):
    book = trade_book(alice_firm)
    with firm_context(book.firm):
        counts = batches_create_for_run(run_id=book.run.pk)
    return book, counts


def _batches(book):
    return {b.disposition: b for b in TradeBatch.objects.filter(run=book.run)}


def _trade(book, number, ticker):
    return BatchTrade.objects.get(batch__run=book.run, account=book.account(number),
                                  security=book.securities[ticker])


def test_batches_from_a_sorted_run(made, alice_firm):
    book, counts = made
    with firm_context(book.firm):
        again = batches_create_for_run(run_id=book.run.pk)
        batch_count = TradeBatch.objects.count()
        batches = _batches(book)
        review, auto = batches["review"], batches["auto_trade"]
        label = auto.approval_label
        events = TradeEvent.objects.filter(kind=EventKind.DISPOSITION)
        by_account = {e.account.account_number: e for e in events.select_related(
            "account", "analysis__account")}
        review_trades = sorted(review.trades.values_list("account__account_number", "side",
                                                         "shares", "lots"))
    assert counts == {"batches": 2, "trades_batched": 6}
    assert again["trades_batched"] == 0 and batch_count == 2
    assert review.status == B.PENDING_REVIEW and review.approved_by is None
    assert auto.status == B.APPROVED
    assert (auto.approval_policy_id, auto.approval_policy_version,
            auto.approval_policy_approved_by) == (book.policy.pk, 3, alice_firm.admin)
    assert label.startswith(f"system, under policy {book.policy.pk} v3")
    assert review_trades == [
        ("F-1", "buy", Decimal(40), []),
        ("F-1", "sell", Decimal(20), [{"lot_id": "L1", "acquired": "2024-01-02",
                                       "shares": "20"}]),
        ("F-3", "buy", Decimal(30), []),
        ("F-3", "sell", Decimal(30), [{"lot_id": "L2", "acquired": "2024-01-02",
                                       "shares": "30"}])]
    assert set(by_account) == {"F-1", "F-2", "F-3", "F-4", "F-6"}
    assert by_account["F-6"].details["rule"] == book.policy.rule_label
    assert by_account["F-2"].details["disposition"] == "suspend"
    assert by_account["F-2"].batch is None
    assert by_account["F-1"].analysis.account.account_number == "F-1"


def test_an_edit_needs_a_reason_and_keeps_the_hard_constraints(made, alice_firm):
    book, _ = made
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        sell_ibm, buy_msft = _trade(book, "F-1", "IBM"), _trade(book, "F-1", "MSFT")
        refusals = {}
        for name, edit in {
            "no reason": dict(trade=buy_msft, shares="10", reason=" "),
            "short": dict(trade=sell_ibm, shares="101", reason="sell all"),
            "negative cash": dict(trade=buy_msft, shares="51", reason="buy more"),
            "no such lot": dict(trade=sell_ibm, lots=[{"lot_id": "L9", "shares": "20"}],
                                reason="other lot"),
            "lot too small": dict(trade=sell_ibm, shares="20",
                                  lots=[{"lot_id": "L2", "shares": "20"}], reason="AAPL lot"),
            "lots do not add up": dict(trade=sell_ibm, lots=[{"lot_id": "L1", "shares": "5"}],
                                       reason="fewer"),
        }.items():
            with pytest.raises(ValidationError) as refused:
                batch_trade_edit(acting_user=person, **edit)
            refusals[name] = " ".join(refused.value.messages)
        edited = batch_trade_edit(trade=buy_msft, shares="50", reason="use the cash",
                                  acting_user=person)
        history = edited.history.first()
        event = TradeEvent.objects.get(kind=EventKind.EDITED)
    assert "reason is required" in refusals["no reason"]
    assert "would be short (holds 100)" in refusals["short"]
    assert "cash would be -100.00" in refusals["negative cash"]
    assert "lot L9 is not a lot of this security" in refusals["no such lot"]
    assert "lot L2 is not a lot of this security" in refusals["lot too small"]
    assert "the lots add up to 5 shares" in refusals["lots do not add up"]
    assert edited.shares == Decimal(50)
    assert (history.history_user, history.history_change_reason) == (person, "use the cash")
    assert (event.actor_user, event.reason) == (person, "use the cash")
    assert event.details["before"]["shares"] == "40.000000"
    assert event.details["after"]["shares"] == "50"


def test_an_edit_may_not_buy_a_restricted_security(made, alice_firm):
    book, _ = made
    with firm_context(book.firm):
        account_settings_update(account=book.account("F-1"), changes={"do_not_buy": ["MSFT"]},
                                reason="client asked", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match="restricted for this account"):
            batch_trade_edit(trade=_trade(book, "F-1", "MSFT"), shares="30",
                             reason="smaller", acting_user=alice_firm.overlay_manager)


def test_four_eyes_the_editor_cannot_approve(made, alice_firm):
    book, _ = made
    editor, other = alice_firm.overlay_manager, alice_firm.admin
    with firm_context(book.firm):
        review = _batches(book)["review"]
        batch_trade_edit(trade=_trade(book, "F-1", "MSFT"), drop=True, reason="not now",
                         acting_user=editor)
        with pytest.raises(PermissionDenied, match="another person"):
            batch_approve(batch=review, reason="fine", acting_user=editor)
        with pytest.raises(ValidationError, match="reason"):
            batch_approve(batch=review, reason="", acting_user=other)
        approved = batch_approve(batch=review, reason="checked", acting_user=other)
        with pytest.raises(ValidationError, match="cannot be edited"):
            batch_trade_edit(trade=_trade(book, "F-1", "IBM"), shares="1", reason="late",
                             acting_user=other)
        kinds = list(TradeEvent.objects.filter(batch=review).values_list("kind", "actor_user"))
    assert approved.status == B.APPROVED and approved.approved_by == other
    assert ("dropped", editor.pk) in kinds and ("approved", other.pk) in kinds


def test_reject_needs_a_reason_and_ends_the_batch(made, alice_firm):
    book, _ = made
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        review = _batches(book)["review"]
        with pytest.raises(ValidationError, match="reason"):
            batch_reject(batch=review, reason="  ", acting_user=person)
        rejected = batch_reject(batch=review, reason="model under change", acting_user=person)
        with pytest.raises(TransitionRefused):
            batch_approve(batch=review, reason="changed my mind", acting_user=alice_firm.admin)
        with pytest.raises(TransitionRefused):
            batch_release(batch=review, acting_user=person)
        reason = rejected.history.first().history_change_reason
    assert (rejected.status, rejected.rejection_reason) == (B.REJECTED, "model under change")
    assert reason == "model under change"


def test_non_discretionary_accounts_need_consent_before_release(made, alice_firm):
    book, _ = made
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        review = batch_approve(batch=_batches(book)["review"], reason="ok",
                               acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match=r"consent is not recorded.*F-3"):
            batch_release(batch=review, acting_user=person)
        with pytest.raises(ValidationError, match="no non-discretionary trades"):
            client_consent_record(batch=review, account_id=book.account("F-1").pk,
                                  method="phone", obtained_at=timezone.now(), note="",
                                  acting_user=person)
        obtained = timezone.now() - timedelta(hours=1)
        consent = client_consent_record(batch=review, account_id=book.account("F-3").pk,
                                        method="phone", obtained_at=obtained,
                                        note="spoke to Mrs. F", acting_user=person)
        orders = batch_release(batch=review, acting_user=person)
        review.refresh_from_db()
        event = TradeEvent.objects.get(kind=EventKind.CONSENT)
    assert (consent.recorded_by, consent.method, consent.obtained_at) == (person, "phone",
                                                                          obtained)
    assert event.details["method"] == "phone" and event.actor_user == person
    assert review.status == B.RELEASED and review.released_by == person
    assert len(orders) == 4


def test_release_makes_orders_with_stable_ids_and_lot_instructions(made, alice_firm):
    book, _ = made
    with firm_context(book.firm):
        auto = _batches(book)["auto_trade"]
        orders = batch_release(batch=auto, acting_user=alice_firm.overlay_manager)
        by_side = {o.side: o for o in Order.objects.filter(batch=auto)}
        released = TradeEvent.objects.filter(kind=EventKind.RELEASED, batch=auto).count()
        with pytest.raises(TransitionRefused):
            batch_release(batch=auto, acting_user=alice_firm.overlay_manager)
    sell = by_side["sell"]
    assert len(orders) == 2 and released == 2
    assert sell.client_order_id == f"ALICE-{sell.trade_id:010d}"
    assert sell.lot_instructions == [{"lot_id": "L1", "shares": "10", "acquired": "2024-01-02"}]
    assert (sell.shares, sell.status, sell.discretionary) == (Decimal(10), "released", True)
    assert by_side["buy"].lot_instructions == []


def test_the_release_switch_stops_every_release(made, alice_firm):
    book, _ = made
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        auto = _batches(book)["auto_trade"]
        with pytest.raises(ValidationError, match="reason"):
            release_control_update(releases_stopped=True, max_order_value=None, reason="",
                                   acting_user=person)
        control = release_control_update(releases_stopped=True, max_order_value=None,
                                         reason="market halt", acting_user=person)
        with pytest.raises(ValidationError, match=r"Releases are stopped.*market halt"):
            batch_release(batch=auto, acting_user=person)
        release_control_update(releases_stopped=False, max_order_value=None,
                               reason="halt lifted", acting_user=person)
        orders = batch_release(batch=auto, acting_user=person)
        reasons = [h.history_change_reason for h in control.history.order_by("history_id")]
    assert reasons == ["market halt", "halt lifted"]
    assert len(orders) == 2


def test_release_checks_restrictions_and_the_firm_limit_again(made, alice_firm):
    book, _ = made
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        auto = _batches(book)["auto_trade"]
        release_control_update(releases_stopped=False, max_order_value=Decimal(900),
                               reason="limit", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match=r"above the firm's order limit 900\.00"):
            batch_release(batch=auto, acting_user=person)
        release_control_update(releases_stopped=False, max_order_value=None,
                               reason="no limit", acting_user=alice_firm.admin)
        account_settings_update(account=book.account("F-6"), changes={"do_not_trade": ["IBM"]},
                                reason="client works at IBM", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match="restricted for this account"):
            batch_release(batch=auto, acting_user=person)
        auto.refresh_from_db()
        orders = Order.objects.filter(batch=auto).count()
    assert auto.status == B.APPROVED and orders == 0


def test_the_application_role_cannot_change_events(made):
    book, _ = made
    with firm_context(book.firm), connection.cursor() as cursor:
        assert TradeEvent.objects.count() > 0
        for statement in ("UPDATE workflow_tradeevent SET reason = 'x'",
                          "DELETE FROM workflow_tradeevent", "TRUNCATE workflow_tradeevent",
                          "UPDATE workflow_fill SET shares = 0"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
