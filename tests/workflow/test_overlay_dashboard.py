"""The overlay manager's dashboard over the trade book (tests.workflow.trade_book): the latest
run and its dispositions, the review queue with its metrics sorted in the database, the accounts
suspended and on hold with why, the settings rules and the release switch; refused to other
roles, nothing of another firm, a bounded number of queries whatever the book's size."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account
from optimizer.models import ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.data_factories import hold
from tests.workflow.filter_book import AS_OF, analysis
from tests.workflow.test_batch_pages import text_of
from tests.workflow.trade_book import trade_book
from workflow.models import (
    AccountDisposition,
    BatchTrade,
    NightlyRun,
    ReleaseControl,
    SettingsRule,
    TradeBatch,
)
from workflow.services.batches import batch_trade_edit, batches_create_for_run

pytestmark = pytest.mark.django_db
URL = "/overlay/"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def book(alice_firm):
    """The trade book with its auto-trade policy not approved by a person, so that both
    batches wait for review: review (F-1, F-3) and auto-trade (F-6)."""
    book = trade_book(alice_firm)
    with firm_context(book.firm), audit_context(system_job="tests"):
        book.policy.approved_by = None
        book.policy.save()
        batches_create_for_run(run_id=book.run.pk)
        SettingsRule.objects.create(name="Platinum loose tracking", query={"all": []},
                                    values={"tracking": "loose"})
        ReleaseControl.objects.create(max_order_value=Decimal("250000"))
    return book


def _batch(book, disposition):
    with firm_context(book.firm):
        return TradeBatch.objects.get(run=book.run, disposition=disposition)


def _queued(page):
    return [int(pk) for pk in re.findall(r'data-testid="queued-batch" data-batch="(\d+)"', page)]


def _cells(page, batch):
    row = re.search(rf'data-batch="{batch.pk}">(.*?)</tr>', page, re.S).group(1)
    return dict(re.findall(r'data-testid="(\w+)">([^<]*)<', row))


def test_the_dashboard_shows_the_run_queue_holds_rules_and_switch(book, alice_firm):
    review, auto = _batch(book, "review"), _batch(book, "auto_trade")
    page = _client(alice_firm.overlay_manager).get(URL).content.decode()
    text = text_of(page)
    assert "Nightly run 2026-11-24" in text and f"/runs/{book.run.pk}/" in page
    for disposition, count in (("suspend", 2), ("review", 2), ("auto_trade", 1)):
        assert re.search(rf'data-disposition="{disposition}">.*?<td class="num">{count}</td>',
                         page), disposition
        assert (f"/workflow/dispositions/runs/{book.run.pk}/?disposition={disposition}"
                in page)
    assert f"/workflow/dispositions/runs/{book.run.pk}/?disposition=compliance_review" in page
    # F-1 sells IBM 20 @200 and buys MSFT 40 @100; F-3 sells MSFT 30 and buys AAPL 30 @100;
    # the accounts were worth 22,000 and 20,000 when analyzed.
    assert _cells(page, review) == {"accounts": "2", "trades": "4", "bought": "7,000",
                                    "sold": "7,000", "turnover": "16.7%", "gains": "0",
                                    "tax": "0"}
    assert _cells(page, auto) == {"accounts": "1", "trades": "2", "bought": "1,000",
                                  "sold": "1,000", "turnover": "6.7%", "gains": "0", "tax": "0"}
    assert f"/workflow/batches/{review.pk}/" in page
    assert re.findall(r'data-testid="suspended-account" data-account="([^"]+)"', page) == [
        "F-2", "F-4"]
    assert "suspend by tests" in text
    assert re.findall(r'data-testid="held-account" data-account="([^"]+)"', page) == [
        "F-5", "F-3"]
    assert "bad lot row" in text and "tax_lots feed" in text and "client asked" in text
    assert "Platinum loose tracking" in text and "tracking: loose" in text
    assert "/workflow/settings-rules/new/" in page
    assert "$250,000.00 per order" in text and "/workflow/batches/release-controls/" in page


def test_holds_are_filtered_by_kind_and_sorted(book, alice_firm):
    overlay = _client(alice_firm.overlay_manager)

    def held(**query):
        return re.findall(r'data-testid="held-account" data-account="([^"]+)"',
                          overlay.get(URL, query).content.decode())

    assert held(hold_kind="suspension") == ["F-5"]
    assert held(hold_sort="account") == ["F-3", "F-5"]
    assert held(hold_sort="-account") == ["F-5", "F-3"]
    assert held(hold_sort="kind") == ["F-3", "F-5"]  # data_error before suspension
    page = overlay.get(URL, {"hold_sort": "account", "sort": "-trades"}).content.decode()
    assert 'href="?sort=-trades&amp;hold_sort=-account#holds-h"' in page


@pytest.mark.parametrize("url", [URL, "/workflow/batches/"])
def test_the_queue_sorts_by_its_metrics(book, alice_firm, url):
    review, auto = _batch(book, "review").pk, _batch(book, "auto_trade").pk
    overlay = _client(alice_firm.overlay_manager)

    def order(sort):
        return _queued(overlay.get(url, {"sort": sort}).content.decode())

    assert order("accounts") == [auto, review]
    assert order("-accounts") == [review, auto]
    assert order("-turnover") == [review, auto]
    assert order("bought") == [auto, review]
    assert order("batch") == sorted([auto, review])
    page = overlay.get(url, {"sort": "-turnover"}).content.decode()
    assert 'aria-sort="descending"><a href="?sort=turnover">Turnover' in page


def test_a_running_run_polls_and_the_poll_returns_only_the_run(book, alice_firm):
    with firm_context(book.firm), audit_context(system_job="tests"):
        NightlyRun.objects.create(business_date=AS_OF + timedelta(days=1), trigger="tests")
    overlay = _client(alice_firm.overlay_manager)
    page = overlay.get(URL).content.decode()
    part = overlay.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="overlay-run").content.decode()
    assert 'hx-trigger="every 3s"' in page and "Nightly run 2026-11-25" in text_of(page)
    assert part.lstrip().startswith('<section class="card" id="overlay-run"')
    assert "Review queue" not in part and 'hx-trigger="every 3s"' in part


def test_the_editor_is_told_why_they_cannot_approve(book, alice_firm):
    review = _batch(book, "review")
    with firm_context(book.firm):
        trade = BatchTrade.objects.filter(batch=review, side="buy").order_by("pk").first()
        batch_trade_edit(trade=trade, shares="20", reason="keep cash",
                         acting_user=alice_firm.overlay_manager)
    editor = _client(alice_firm.overlay_manager).get(f"/workflow/batches/{review.pk}/")
    other = _client(alice_firm.admin).get(f"/workflow/batches/{review.pk}/")
    assert "You edited this batch; another person must approve it." in text_of(
        editor.content.decode())
    assert 'value="approve"' not in editor.content.decode()
    assert 'value="approve"' in other.content.decode()
    assert 'data-testid="approval-refused"' not in other.content.decode()


@pytest.mark.parametrize("who", ["advisor", "compliance"])
def test_other_roles_are_refused(book, alice_firm, who):
    assert _client(getattr(alice_firm, who)).get(URL).status_code == 403


def test_another_firm_sees_nothing_of_ours(book, alice_firm, bob_firm):
    review = _batch(book, "review")
    theirs = _client(bob_firm.overlay_manager)
    page = theirs.get(URL).content.decode()
    assert theirs.get(URL).status_code == 200
    assert f"/workflow/batches/{review.pk}/" not in page
    assert "F-3" not in page and "Platinum loose tracking" not in page
    assert 'data-testid="no-run"' in page and 'data-testid="queue-empty"' in page
    assert theirs.get(f"/workflow/batches/{review.pk}/").status_code == 404
    assert theirs.get(f"/workflow/dispositions/runs/{book.run.pk}/").status_code == 404


def _grow(book, n):
    """n more accounts, each on hold, suspended by the run, and with a pending batch of an
    older run."""
    firm = book.firm
    with firm_context(firm), audit_context(system_job="tests"):
        ibm = book.securities["IBM"]
        for i in range(n):
            account = Account.objects.create(account_number=f"G-{i:03d}", name=f"Grown {i}",
                                             household=book.book.household)
            hold(account, reason=f"grown {i}", source="feed:tax_lots")
            AccountDisposition.objects.create(run=book.run, account=account,
                                              disposition="suspend", rule="grown")
            run = NightlyRun.objects.create(business_date=AS_OF - timedelta(days=i + 1),
                                            trigger="tests", finished_at=timezone.now(),
                                            status=NightlyRun.Status.SUCCEEDED)
            batch = TradeBatch.objects.create(run=run, disposition="review",
                                              status="pending_review")
            done = analysis(account, day=run.business_date, value=10000, turnover=0.1,
                            tax=10, tracking_error=0.01, drift=0.02)
            proposed = ProposedTrade.objects.create(
                analysis=done, security=ibm, side="buy", shares=Decimal(5), price=Decimal(200),
                value=Decimal(1000), realized_gain=Decimal(0), estimated_tax=Decimal(0),
                explanation="buy IBM")
            BatchTrade.objects.create(batch=batch, account=account, analysis=done,
                                      proposed_trade=proposed, security=ibm, side="buy",
                                      shares=Decimal(5), price=Decimal(200), discretionary=True)


@pytest.mark.parametrize("url", [URL, "/workflow/batches/"])
def test_queries_do_not_grow_with_the_book(book, alice_firm, url):
    overlay = _client(alice_firm.overlay_manager)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert overlay.get(url).status_code == 200
        return len(captured)

    small = queries()
    _grow(book, 30)
    large = queries()
    assert large == small, f"{small} queries for the small book, {large} for the large one"
    assert large <= 30
