"""Trade review pages: the queue (with the release controls), a batch page where the overlay
manager edits with reasons, another person approves, consent is recorded and the batch is
released; the navigation names the queue for those who review."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client

from rebal.firm_context import firm_context
from tests.workflow.trade_book import trade_book
from workflow.models import BatchTrade, Order, ReleaseControl, TradeBatch
from workflow.services.batches import batches_create_for_run

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def text_of(html):
    """The page's text, tags removed and spaces squeezed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _nav(html):
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.fixture
def batches(alice_firm):
    book = trade_book(alice_firm)
    with firm_context(book.firm):
        batches_create_for_run(run_id=book.run.pk)
        review = TradeBatch.objects.get(run=book.run, disposition="review")
        auto = TradeBatch.objects.get(run=book.run, disposition="auto_trade")
    return book, review, auto


def test_the_queue_lists_waiting_batches_and_the_controls(batches, alice_firm):
    _, review, auto = batches
    overlay = _client(alice_firm.overlay_manager)
    page = overlay.get("/workflow/batches/").content.decode()
    advisor = _client(alice_firm.advisor).get("/workflow/batches/")
    assert "Trade review" in _nav(page)
    assert "Trade review" not in _nav(_client(alice_firm.advisor).get("/").content.decode())
    assert advisor.status_code == 403
    assert f"/workflow/batches/{review.pk}/" in page and f"/workflow/batches/{auto.pk}/" in page
    assert "Pending review" in text_of(page) and "Releases are running." in text_of(page)


def test_edit_approve_consent_and_release_through_the_pages(batches, alice_firm):
    book, review, _ = batches
    overlay, admin = _client(alice_firm.overlay_manager), _client(alice_firm.admin)
    with firm_context(book.firm):
        buy = BatchTrade.objects.get(batch=review, account=book.account("F-1"), side="buy")
        f3 = book.account("F-3").pk
    url = f"/workflow/batches/{review.pk}/"
    no_reason = overlay.post(f"/workflow/batches/trades/{buy.pk}/", {"shares": "30"},
                             follow=True)
    overlay.post(f"/workflow/batches/trades/{buy.pk}/", {"shares": "30",
                                                         "reason": "keep cash"})
    own = overlay.get(url).content.decode()
    selfish = overlay.post(f"{url}decision/", {"decision": "approve", "reason": "ok"},
                           follow=True)
    approved = admin.post(f"{url}decision/", {"decision": "approve", "reason": "checked"},
                          follow=True)
    early = overlay.post(f"{url}release/", follow=True)
    overlay.post(f"{url}consent/", {"account": f3, "method": "phone",
                                    "obtained_at": "2026-11-25T09:30", "note": "Mrs. F"})
    released = overlay.post(f"{url}release/", follow=True)
    with firm_context(book.firm):
        buy.refresh_from_db()
        review.refresh_from_db()
        orders = Order.objects.filter(batch=review).count()
    assert "A reason is required to edit a trade." in text_of(no_reason.content.decode())
    assert buy.shares == 30
    assert 'value="approve"' not in own  # the editor is not offered the approval
    assert "another person must approve it" in text_of(selfish.content.decode())
    assert "Batch approved." in text_of(approved.content.decode())
    assert "Client consent is not recorded" in text_of(early.content.decode())
    assert "Batch released to the OMS." in text_of(released.content.decode())
    assert "Client consent: by telephone" in text_of(released.content.decode())
    assert review.status == "released" and orders == 4


def test_the_release_switch_page(batches, alice_firm):
    book, _, auto = batches
    overlay = _client(alice_firm.overlay_manager)
    no_reason = overlay.post("/workflow/batches/release-controls/",
                             {"releases_stopped": "1"}, follow=True)
    overlay.post("/workflow/batches/release-controls/",
                 {"releases_stopped": "1", "reason": "market halt"})
    stopped = overlay.post(f"/workflow/batches/{auto.pk}/release/", follow=True)
    page = overlay.get("/workflow/batches/release-controls/").content.decode()
    with firm_context(book.firm):
        control = ReleaseControl.objects.get()
    assert "A reason is required" in text_of(no_reason.content.decode())
    assert "Releases are stopped for the firm: market halt" in text_of(
        stopped.content.decode())
    assert "Releases are stopped : market halt" in text_of(page)
    assert (control.releases_stopped, control.changed_by) == (True, alice_firm.overlay_manager)


def test_choosing_lots_on_the_batch_page(batches, alice_firm):
    book, review, _ = batches
    overlay = _client(alice_firm.overlay_manager)
    with firm_context(book.firm):
        sell = BatchTrade.objects.get(batch=review, account=book.account("F-3"), side="sell")
    url = f"/workflow/batches/trades/{sell.pk}/"
    page = overlay.get(f"/workflow/batches/{review.pk}/").content.decode()
    garbled = overlay.post(url, {"shares": "30", "lots": "L2", "reason": "x"}, follow=True)
    too_many = overlay.post(url, {"shares": "30", "lots": "L2:10, L3:30", "reason": "x"},
                            follow=True)
    overlay.post(url, {"shares": "30", "lots": "L2:10, L3:20", "reason": "lowest gain"})
    with firm_context(book.firm):
        sell.refresh_from_db()
    assert 'value="L2:30"' in page
    assert "Lots are written LOT:SHARES" in text_of(garbled.content.decode())
    assert "the lots add up to 40 shares" in text_of(too_many.content.decode())
    assert sell.lots == [{"lot_id": "L2", "shares": "10"}, {"lot_id": "L3", "shares": "20"}]
