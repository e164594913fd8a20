"""A batch's stored totals, worked by hand from the trade book (tests.workflow.trade_book):
made with the batch, moved by every edit and drop, and the same when the migration fills them
in for batches made before they were stored."""

from __future__ import annotations

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from rebal.audit import update_unaudited_fields
from rebal.firm_context import firm_context
from tests.workflow.trade_book import trade_book
from workflow.models import BatchTrade, TradeBatch
from workflow.models.batches import BATCH_TOTALS
from workflow.services.batches import batch_trade_edit, batches_create_for_run

pytestmark = pytest.mark.django_db
D = Decimal
# Sell IBM 20 of F-1 realizing 1,500.00 (tax 357.00); sell MSFT 30 of F-3 losing 250.50 (-59.62).
GAINS = {("F-1", "IBM"): (D("1500.00"), D("357.00")),
         ("F-3", "MSFT"): (D("-250.50"), D("-59.62"))}


@pytest.fixture
def book(alice_firm):
    book = trade_book(alice_firm, gains=GAINS)
    with firm_context(book.firm):
        batches_create_for_run(run_id=book.run.pk)
    return book


def _totals(book):
    with firm_context(book.firm):
        return {b.disposition: {name: getattr(b, name) for name in BATCH_TOTALS}
                for b in TradeBatch.objects.filter(run=book.run)}


def _trade(book, number, ticker):
    return BatchTrade.objects.get(batch__run=book.run, account=book.account(number),
                                  security=book.securities[ticker])


def test_a_new_batch_holds_its_trades_totals(book):
    # Review: F-1 sells IBM 20 @200 (4,000), buys MSFT 40 @100 (4,000); F-3 sells MSFT 30 @100
    # (3,000), buys AAPL 30 @100 (3,000); valued 22,000 + 20,000 at analysis. Auto-trade: F-6
    # sells AAPL 10 @100 and buys IBM 5 @200 (1,000 each), valued 15,000.
    assert _totals(book) == {
        "review": {"account_count": 2, "trade_count": 4, "bought": D("7000.00"),
                   "sold": D("7000.00"), "realized_gain": D("1249.50"),
                   "estimated_tax": D("297.38"), "book_value": D("42000.00")},
        "auto_trade": {"account_count": 1, "trade_count": 2, "bought": D("1000.00"),
                       "sold": D("1000.00"), "realized_gain": D("0.00"),
                       "estimated_tax": D("0.00"), "book_value": D("15000.00")}}


def test_edits_and_drops_move_the_totals_without_auditing_them(book, alice_firm):
    person = alice_firm.overlay_manager
    with firm_context(book.firm):
        review = TradeBatch.objects.get(run=book.run, disposition="review")
        versions = review.history.count()
        batch_trade_edit(trade=_trade(book, "F-1", "MSFT"), shares="30", reason="smaller",
                         acting_user=person)
        after_edit = _totals(book)["review"]
        for ticker in ("AAPL", "MSFT"):
            batch_trade_edit(trade=_trade(book, "F-3", ticker), drop=True, reason="client",
                             acting_user=person)
        after_drops = _totals(book)["review"]
        versions_after = review.history.count()
    # Buying MSFT 30 instead of 40: 1,000 less bought.
    assert (after_edit["trade_count"], after_edit["bought"], after_edit["sold"]) == (
        4, D("6000.00"), D("7000.00"))
    # F-3's trades dropped: F-1 alone trades, the loss leaves; the book still counts F-3.
    assert after_drops == {"account_count": 1, "trade_count": 2, "bought": D("3000.00"),
                           "sold": D("4000.00"), "realized_gain": D("1500.00"),
                           "estimated_tax": D("357.00"), "book_value": D("42000.00")}
    assert versions_after == versions


def test_the_migration_fills_in_the_same_totals(book):
    made = _totals(book)
    with firm_context(book.firm):
        update_unaudited_fields(TradeBatch.objects.filter(run=book.run), account_count=0,
                                trade_count=0, bought=0, sold=0, realized_gain=0,
                                estimated_tax=0, book_value=None)
    cleared = _totals(book)
    migration = importlib.import_module("workflow.migrations.0011_batch_totals")
    with firm_context(book.firm):
        migration.backfill(None, SimpleNamespace(connection=connection))
    assert cleared["review"]["trade_count"] == 0
    assert _totals(book) == made
