"""The OMS API over released orders: pull, acknowledge, fills (idempotent by execution id, no
overfill), cancel, Idempotency-Key, token scopes, and firm B's token seeing nothing of A's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.services import api_token_create
from tests.workflow.trade_book import trade_book
from workflow.models import EventKind, Order, TradeBatch, TradeEvent
from workflow.services.batches import batches_create_for_run
from workflow.services.release import batch_release

pytestmark = pytest.mark.django_db


def _client(personas, *scopes):
    with firm_context(personas.firm):
        issued = api_token_create(name=f"OMS {'+'.join(scopes)}", scopes=list(scopes),
                                  acting_user=personas.admin, reason="tests")
    return Client(HTTP_AUTHORIZATION=f"Token {issued.value}")


@pytest.fixture
def released(alice_firm):
    book = trade_book(alice_firm)
    with firm_context(book.firm):
        batches_create_for_run(run_id=book.run.pk)
        auto = TradeBatch.objects.get(run=book.run, disposition="auto_trade")
        orders = {o.side: o for o in batch_release(batch=auto, acting_user=alice_firm.admin)}
    return book, auto, orders


def _post(client, path, data, **headers):
    return client.post(path, data, content_type="application/json", headers=headers)


def _state(book, batch):
    with firm_context(book.firm):
        batch.refresh_from_db()
        return batch.status, {o.side: (o.status, o.filled_shares)
                              for o in Order.objects.filter(batch=batch)}


def test_the_oms_pulls_released_orders_paged_with_lot_instructions(released, alice_firm):
    book, _, orders = released
    oms = _client(alice_firm, "orders:read")
    first = oms.get("/api/v1/orders/?status=released&limit=1").json()
    second = oms.get(first["next"]).json()
    sells = oms.get("/api/v1/orders/?status=released&side=sell").json()["results"]
    none = oms.get("/api/v1/orders/?status=filled").json()
    refused = _client(alice_firm, "accounts:read").get("/api/v1/orders/")
    in_order = sorted(o.pk for o in orders.values())
    assert first["count"] == 2 and first["results"][0]["id"] == in_order[0]
    assert second["results"][0]["id"] == in_order[1]
    assert sells == [{
        "id": orders["sell"].pk, "client_order_id": orders["sell"].client_order_id,
        "batch": orders["sell"].batch_id, "account_number": "F-6", "ticker": "AAPL",
        "cusip": book.securities["AAPL"].cusip, "side": "sell", "shares": "10.000000",
        "limit_price": None,
        "lot_instructions": [{"lot_id": "L1", "shares": "10", "acquired": "2024-01-02"}],
        "discretionary": True, "status": "released", "filled_shares": "0.000000",
        "broker": "", "oms_order_id": "", "released_at": sells[0]["released_at"],
        "acknowledged_at": None, "closed_at": None}]
    assert none["count"] == 0
    assert refused.status_code == 403


def test_acknowledge_fills_and_the_batch_following(released, alice_firm):
    book, batch, orders = released
    oms = _client(alice_firm, "orders:read", "orders:write")
    sell, buy = (f"/api/v1/orders/{orders[s].pk}" for s in ("sell", "buy"))
    fill = {"execution_id": "EX-1", "shares": "4", "price": "101.5",
            "executed_at": "2026-11-25T15:00:00Z"}
    early = _post(oms, f"{sell}/fills/", fill)
    ack = _post(oms, f"{sell}/acknowledge/", {"broker": "Broker One", "oms_order_id": "A1"})
    again = _post(oms, f"{sell}/acknowledge/", {"broker": "Broker One"})
    after_one_ack = _state(book, batch)
    _post(oms, f"{buy}/acknowledge/", {"broker": "Broker Two"})
    after_acks = _state(book, batch)
    first = _post(oms, f"{sell}/fills/", fill)
    twice = _post(oms, f"{sell}/fills/", fill)
    changed = _post(oms, f"{sell}/fills/", {**fill, "shares": "5"})
    overfill = _post(oms, f"{sell}/fills/", {**fill, "execution_id": "EX-2", "shares": "7"})
    partly = _state(book, batch)
    rest = _post(oms, f"{sell}/fills/", {**fill, "execution_id": "EX-2", "shares": "6"})
    _post(oms, f"{buy}/fills/", {**fill, "execution_id": "EX-3", "shares": "5", "price": "200"})
    with firm_context(book.firm):
        fills = TradeEvent.objects.filter(kind=EventKind.FILLED).count()
    assert early.status_code == 409 and "released" in early.json()["error"]["message"]
    assert ack.status_code == 200 and ack.json()["broker"] == "Broker One"
    assert again.status_code == 409
    assert after_one_ack[0] == "released"
    assert after_acks[0] == "acknowledged"
    assert first.status_code == 201 and first.json()["created"] is True
    assert twice.status_code == 200 and twice.json()["created"] is False
    assert twice.json()["order"]["filled_shares"] == "4.000000"
    assert changed.status_code == 400 and "already reported" in changed.json()["error"][
        "message"]
    assert overfill.status_code == 400 and "Overfill" in overfill.json()["error"]["message"]
    assert partly == ("partially_filled", {"sell": ("partially_filled", Decimal(4)),
                                           "buy": ("acknowledged", Decimal(0))})
    assert rest.json()["order"]["status"] == "filled"
    assert _state(book, batch) == ("filled", {"sell": ("filled", Decimal(10)),
                                              "buy": ("filled", Decimal(5))})
    assert fills == 3


def test_cancel_with_a_reason(released, alice_firm):
    book, batch, orders = released
    oms = _client(alice_firm, "orders:write")
    path = f"/api/v1/orders/{orders['sell'].pk}/cancel/"
    missing = _post(oms, path, {})
    cancelled = _post(oms, path, {"reason": "halted"})
    after = _post(oms, f"/api/v1/orders/{orders['sell'].pk}/acknowledge/", {"broker": "B"})
    _post(oms, f"/api/v1/orders/{orders['buy'].pk}/cancel/", {"reason": "halted"})
    with firm_context(book.firm):
        event = TradeEvent.objects.get(kind=EventKind.CANCELLED, order=orders["sell"])
    assert missing.status_code == 400
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert after.status_code == 409
    assert event.reason == "halted" and event.actor_token_id is not None
    assert _state(book, batch)[0] == "cancelled"


def test_idempotency_key_replays_the_answer_and_refuses_another_body(released, alice_firm):
    book, _, orders = released
    oms = _client(alice_firm, "orders:write")
    path = f"/api/v1/orders/{orders['sell'].pk}/acknowledge/"
    first = _post(oms, path, {"broker": "B1"}, **{"Idempotency-Key": "k-1"})
    replay = _post(oms, path, {"broker": "B1"}, **{"Idempotency-Key": "k-1"})
    other = _post(oms, path, {"broker": "B2"}, **{"Idempotency-Key": "k-1"})
    unkeyed = _post(oms, path, {"broker": "B1"})
    with firm_context(book.firm):
        acks = TradeEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).count()
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert unkeyed.status_code == 409  # without the key, a second acknowledgement is refused
    assert acks == 1


def test_scopes_and_firm_b_gets_404(released, alice_firm, bob_firm):
    _, _, orders = released
    reader = _client(alice_firm, "orders:read")
    firm_b = _client(bob_firm, "orders:read", "orders:write")
    pk = orders["sell"].pk
    read_only = _post(reader, f"/api/v1/orders/{pk}/acknowledge/", {"broker": "B"})
    answers = [firm_b.get(f"/api/v1/orders/{pk}/").status_code] + [
        _post(firm_b, f"/api/v1/orders/{pk}/{verb}/", body).status_code
        for verb, body in (("acknowledge", {"broker": "B"}), ("cancel", {"reason": "x"}),
                           ("fills", {"execution_id": "E", "shares": "1", "price": "1",
                                      "executed_at": "2026-11-25T15:00:00Z"}))]
    listed = firm_b.get("/api/v1/orders/").json()
    assert read_only.status_code == 404  # a forbidden object looks like a missing one
    assert answers == [404, 404, 404, 404]
    assert listed["count"] == 0


def test_the_204_2_memorandum_of_an_order_is_complete(alice_firm):
    from workflow.selectors_memorandum import order_memorandum
    from workflow.services.batches import batch_approve, batch_trade_edit

    book = trade_book(alice_firm)
    with firm_context(book.firm):
        account = book.account("F-1")
        account.advisor_email = "advisor@alice.test"
        with audit_context(system_job="tests"):
            account.save()
        batches_create_for_run(run_id=book.run.pk)
        review = TradeBatch.objects.get(run=book.run, disposition="review")
        trade = review.trades.get(account=account, side="buy")
        batch_trade_edit(trade=trade, shares="30", reason="keep more cash",
                         acting_user=alice_firm.overlay_manager)
        batch_trade_edit(trade=review.trades.get(account=book.account("F-3"), side="buy"),
                         drop=True, reason="client declined",
                         acting_user=alice_firm.overlay_manager)
        batch_trade_edit(trade=review.trades.get(account=book.account("F-3"), side="sell"),
                         drop=True, reason="client declined",
                         acting_user=alice_firm.overlay_manager)
        batch_approve(batch=review, reason="checked", acting_user=alice_firm.admin)
        orders = batch_release(batch=review, acting_user=alice_firm.overlay_manager)
        order = next(o for o in orders if o.trade_id == trade.pk)
    oms = _client(alice_firm, "orders:write")
    _post(oms, f"/api/v1/orders/{order.pk}/acknowledge/", {"broker": "Broker One"})
    _post(oms, f"/api/v1/orders/{order.pk}/fills/", {
        "execution_id": "EX-9", "shares": "10", "price": "100",
        "executed_at": "2026-11-25T15:00:00Z"})
    _post(oms, f"/api/v1/orders/{order.pk}/cancel/", {"reason": "end of day"})
    with firm_context(book.firm):
        memo = order_memorandum(order)
    assert memo.missing() == []
    assert memo.terms["side"] == "buy" and memo.terms["shares"] == Decimal(30)
    assert memo.terms["proposed_shares"] == Decimal(40) and memo.terms["ticker"] == "MSFT"
    assert memo.account == "F-1 Account F-1"
    assert memo.recommended_by["advisor"] == "advisor@alice.test"
    assert memo.recommended_by["analysis"] == trade.analysis_id
    assert memo.approved_by == str(alice_firm.admin)
    assert memo.placed_by == str(alice_firm.overlay_manager)
    assert memo.executing_broker == "Broker One" and memo.discretionary is True
    assert [(c["kind"], c["reason"]) for c in memo.changes] == [
        ("edited", "keep more cash"), ("cancelled", "end of day")]
    assert memo.changes[0]["by"] == str(alice_firm.overlay_manager)
    assert memo.changes[1]["by"].startswith("token ")
    assert [(f["execution_id"], f["shares"]) for f in memo.fills] == [("EX-9", Decimal(10))]
    assert memo.status == "cancelled"


def test_orders_not_acknowledged_in_time_alert_the_overlay_managers(released, alice_firm):
    from datetime import timedelta

    from django.utils import timezone

    from rebal.models import Alert
    from workflow.services.oms import order_acknowledge
    from workflow.services.order_alerts import orders_unacknowledged_alert

    book, _, orders = released
    now = timezone.now()
    with firm_context(book.firm):
        order_acknowledge(order=orders["buy"], broker="B")
        in_time = orders_unacknowledged_alert(now=now + timedelta(minutes=5))
        late = orders_unacknowledged_alert(now=now + timedelta(minutes=16))
        again = orders_unacknowledged_alert(now=now + timedelta(minutes=30))
        alert = Alert.objects.get(kind="orders_not_acknowledged")
    assert (in_time, late, again) == (0, 1, 0)
    assert alert.roles == ["overlay_manager"] and alert.severity == "critical"
    assert orders["sell"].client_order_id in alert.message
    assert alert.message.startswith("1 released order(s) not acknowledged within 15 minutes")


def test_open_orders_from_earlier_days_go_to_the_optimizer(released, alice_firm):
    from datetime import timedelta

    from optimizer.core.inputs import OpenOrder, Side
    from tests.workflow.filter_book import AS_OF
    from workflow.selectors_open_orders import open_orders_by_account
    from workflow.services.oms import order_acknowledge, order_cancel, order_fill_record

    book, _, orders = released
    account = book.account("F-6").pk
    aapl, ibm = (str(book.securities[t].pk) for t in ("AAPL", "IBM"))
    with firm_context(book.firm):
        same_day = open_orders_by_account([account], as_of=AS_OF)
        next_day = open_orders_by_account([account], as_of=AS_OF + timedelta(days=1))
        with audit_context(system_job="an OMS file import"):
            order_acknowledge(order=orders["buy"], broker="B")
            order_fill_record(order=orders["buy"], execution_id="X1", shares=Decimal(2),
                              price=Decimal(200), executed_at=orders["buy"].released_at)
            order_cancel(order=orders["sell"], reason="client asked")
        later = open_orders_by_account([account], as_of=AS_OF + timedelta(days=1))
    assert same_day == {}
    assert sorted(next_day[account], key=lambda o: o.side) == [
        OpenOrder(security=ibm, side=Side.BUY, shares=Decimal(5)),
        OpenOrder(security=aapl, side=Side.SELL, shares=Decimal(10), lot_id="L1")]
    assert later == {account: [OpenOrder(security=ibm, side=Side.BUY, shares=Decimal(3))]}



@pytest.mark.parametrize(("l1_after", "kind", "reason"), [
    ("40", EventKind.LOTS_RECONCILED, ""),
    ("50", EventKind.LOTS_MISMATCH, "lot L1: 50 → 50, 10 sold from it")])
def test_the_next_snapshot_is_reconciled_against_the_lots_instructed(
        released, alice_firm, l1_after, kind, reason):
    from datetime import date, timedelta

    from rebal.models import Alert
    from tests.data_factories import Lot, feed_file, snapshot
    from tests.workflow.filter_book import AS_OF
    from workflow.services.lot_reconciliation import order_lots_reconcile
    from workflow.services.oms import order_acknowledge, order_fill_record

    book, _, orders = released
    sell = orders["sell"]  # F-6: sell AAPL 10 from lot L1, which held 50
    next_day = AS_OF + timedelta(days=1)
    aapl, msft, ibm = (book.securities[t] for t in ("AAPL", "MSFT", "IBM"))
    bought = date(2024, 1, 2)
    with firm_context(book.firm), audit_context(system_job="tests"):
        order_acknowledge(order=sell, broker="B")
        order_fill_record(order=sell, execution_id="X-L1", shares=Decimal(10),
                          price=Decimal(100), executed_at=sell.released_at)
        no_snapshot_yet = order_lots_reconcile(business_date=next_day)
        snapshot(book.account("F-6"), file=feed_file(name=f"tax_lots_{next_day:%Y%m%d}.csv"),
                 lots=[Lot(aapl, l1_after, "1", bought, "L1"),
                       Lot(msft, "50", "1", bought, "L2"), Lot(ibm, "30", "1", bought, "L3")])
        checked = order_lots_reconcile(business_date=next_day)
        again = order_lots_reconcile(business_date=next_day)
        event = TradeEvent.objects.get(order=sell, kind__in=[EventKind.LOTS_RECONCILED,
                                                             EventKind.LOTS_MISMATCH])
        alert = Alert.objects.filter(kind="lots_relieved_otherwise").first()
    mismatched = int(kind == EventKind.LOTS_MISMATCH)
    assert no_snapshot_yet == {"orders_checked": 0, "lots_mismatched": 0}
    assert checked == {"orders_checked": 1, "lots_mismatched": mismatched}
    assert again == {"orders_checked": 0, "lots_mismatched": 0}
    assert (event.kind, event.reason) == (kind, reason)
    if mismatched:
        assert sell.client_order_id in alert.message
        assert alert.roles == ["data_manager", "overlay_manager"]
    else:
        assert alert is None
