"""The demo book loads into Rebal cleanly: every file of `make_demo_feeds`, through the
`load_feeds` command-line door, into the demo firm `demo_setup` creates.

Nothing in the demo book is bad on purpose: no row is quarantined, no account held, no
reconciliation break (the start-of-window snapshot plus the window's transactions is exactly the
business date's snapshot, and no cash is negative). What is there on purpose: the risk-model gaps
(proxied on load) and the planted wash sales (found by the tax engine, the custodian's own
adjustment not applied twice). Files of a feed Rebal has no loader for yet (models,
corporate_actions) are rejected by it as such; they must load once it has one.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from guardian.shortcuts import get_objects_for_user

from accounts.models import (
    Account,
    AccountHold,
    GrantEvent,
    Household,
    LotSet,
    ReconciliationBreak,
    TaxEntity,
    TaxLot,
    Transaction,
)
from accounts.tax_data import entity_tax_view
from dataops.feeds.registry import loader_for
from dataops.models import FeedFile, FeedSchedule, QuarantinedRow, RiskSpecific
from demo.feeds.book import DEMO_ADVISOR
from demo.feeds.market import RISK_MODEL_OMITTED
from demo.feeds.writer import FEED_COLUMNS, demo_book
from demo.services import demo_firm_ensure
from rebal.firm_context import firm_context
from rebal.models import Role

pytestmark = pytest.mark.django_db

BUSINESS_DATE = date(2026, 11, 24)
STAMP = f"{BUSINESS_DATE:%Y%m%d}"
ACCOUNTS, SEED = 60, 11
# The business date's snapshot: reconciled against the previous one plus the transactions.
SNAPSHOT = (f"tax_lots_{STAMP}.csv", f"cash_{STAMP}.csv")
def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def demo_files(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", str(ACCOUNTS), "--seed",
                 str(SEED), "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    return folder


@pytest.fixture
def demo_firm(db):
    return demo_firm_ensure()


def load_feeds(firm, *paths: Path) -> str:
    """`load_feeds --firm CODE PATH...` and its summary. It exits non-zero when a file is
    rejected: only files of a feed Rebal has no loader for may be."""
    out = io.StringIO()
    try:
        call_command("load_feeds", "--firm", firm.code, *map(str, paths), stdout=out)
    except CommandError as error:
        with firm_context(firm):
            rejected = set(FeedFile.objects.filter(status=FeedFile.Status.REJECTED)
                           .values_list("feed", flat=True))
        if any(loader_for(feed) is not None for feed in rejected):
            pytest.fail(f"load_feeds: {error}\n{out.getvalue()}")
    return out.getvalue()


def assert_loaded_cleanly(firm, folder: Path, output: str) -> None:
    names = sorted(p.name for p in folder.iterdir())
    lot_files = [n for n in names if n.startswith("tax_lots_")]
    assert len(lot_files) == 2 and len(names) == len(FEED_COLUMNS) + 2
    not_loadable = {feed for feed in FEED_COLUMNS if loader_for(feed) is None}
    with firm_context(firm):
        files = {f.name: f for f in FeedFile.objects.all()}
        assert {name: f.status for name, f in files.items()} == {
            name: "rejected" if name.rsplit("_", 1)[0] in not_loadable else "loaded"
            for name in names}, output
        assert all(f"does not load the {f.feed} feed yet" in f.error
                   for f in files.values() if f.status == "rejected"), output
        assert not QuarantinedRow.objects.exists()
        breaks = [(b.kind, b.account.account_number, b.reason)
                  for b in ReconciliationBreak.objects.select_related("account")]
        assert breaks == [], breaks[:3]
        holds = list(AccountHold.objects.filter(cleared_at__isnull=True)
                     .values_list("account__account_number", "reason"))
        assert holds == [], holds[:3]
        # Every lot of both snapshots, every account and every transaction is loaded.
        assert TaxLot.objects.count() == sum(len(rows(folder / n)) for n in lot_files)
        assert Account.objects.count() == ACCOUNTS
        assert Transaction.objects.count() == len(rows(folder / f"transactions_{STAMP}.csv"))
        dates = set(LotSet.objects.values_list("business_date", flat=True))
        assert len(dates) == 2 and max(dates) == BUSINESS_DATE
        # The risk model leaves a few held securities out on purpose: each got a proxy.
        proxied = set(RiskSpecific.objects.exclude(proxy_basis="")
                      .values_list("security__ticker", flat=True))
        assert set(RISK_MODEL_OMITTED) <= proxied


def test_the_whole_demo_book_loads_cleanly_in_one_command(demo_firm, demo_files):
    firm, _ = demo_firm
    output = load_feeds(firm, demo_files)
    assert_loaded_cleanly(firm, demo_files, output)


def test_the_demo_book_loads_cleanly_with_the_snapshot_after_its_transactions(demo_firm,
                                                                              demo_files):
    """As a custodian delivers it: everything else first, then the business date's snapshot."""
    firm, _ = demo_firm
    output = load_feeds(firm, *(p for p in sorted(demo_files.iterdir())
                                if p.name not in SNAPSHOT))
    output += load_feeds(firm, *(demo_files / name for name in SNAPSHOT))
    assert_loaded_cleanly(firm, demo_files, output)


def test_the_tax_engine_finds_the_planted_wash_sales_and_no_problems(demo_firm, demo_files):
    firm, _ = demo_firm
    load_feeds(firm, demo_files)
    book = demo_book(accounts=ACCOUNTS, seed=SEED, business_date=BUSINESS_DATE)
    assert {w.kind for w in book.wash_sales} >= {"same_account", "other_account"}
    with firm_context(firm):
        views = {code: entity_tax_view(tax_entity_id=pk, as_of=BUSINESS_DATE)
                 for code, pk in TaxEntity.objects.values_list("code", "pk")}
    assert {code: view.problems for code, view in views.items() if view.problems} == {}
    for planted in book.wash_sales:
        view = views[planted.tax_entity]
        found = [a for a in view.analysis.adjustments
                 if a.loss_sale_transaction_id == planted.sale_transaction_id]
        assert found, planted
        assert all(a.disallowed_loss > 0 for a in found)
        assert sum(a.disallowed_loss for a in found) <= planted.loss
        assert {(a.replacement_account, a.replacement_lot_id) for a in found} == {
            (planted.buyer, planted.replacement_lot_id)}
        if planted.custodian_adjustment is not None:
            # The custodian already added exactly what the engine disallows: nothing twice.
            assert sum(a.basis_adjustment for a in found) == planted.custodian_adjustment
            parts = [lot for lot in view.adjusted_lots
                     if (lot.account, lot.lot_id) == (planted.buyer, planted.replacement_lot_id)]
            assert parts and sum(p.overlay_basis_adjustment for p in parts) == Decimal(0)


def test_the_demo_advisor_gets_households_and_the_firm_expects_its_nightly_feeds(
        demo_firm, demo_files):
    firm, users = demo_firm
    load_feeds(firm, demo_files)
    advisor = users[Role.ADVISOR]
    assert advisor.email == DEMO_ADVISOR
    with firm_context(firm):
        named = set(Account.objects.filter(advisor_email=DEMO_ADVISOR)
                    .values_list("household__code", flat=True))
        assigned = set(get_objects_for_user(advisor, "accounts.view_household", Household)
                       .values_list("code", flat=True))
        assert named and assigned == named
        assert len(named) >= 0.1 * Household.objects.count()
        # Each grant is logged with the file that named the advisor, once.
        logged = list(GrantEvent.objects.filter(advisor=advisor)
                      .values_list("household__code", "kind", "reason"))
        assert sorted(code for code, _, _ in logged) == sorted(named)
        assert {(kind, reason.split(" in ")[0]) for _, kind, reason in logged} == {
            ("granted", "named as the advisor")}
        assert all(reason.endswith(".csv") for _, _, reason in logged)
        assert {(s.feed, f"{s.cutoff:%H:%M}") for s in FeedSchedule.objects.all()} == {
            (feed, "06:00") for feed in ("tax_lots", "cash", "prices", "accounts",
                                         "transactions")}
