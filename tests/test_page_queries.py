"""Every role's dashboard and every list page renders in a bounded number of queries: the same
number for a firm of N units of book as for one of 3N, and at most MAX_QUERIES.

A unit is a household of the advisor with two accounts (lots, an analysis with proposed trades,
an advisor), a nightly run that sorted them (one to review, one to suspend) and its batches,
a feed file with a quarantined row, an unknown security holding one account, a reconciliation
break, a corporate action not applied, a saved filter and a settings rule. The model book (the
committee's allocations, products, programs) is the same at both sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Household
from accounts.services.grants import advisor_grant
from dataops.models import CorporateAction, FeedFile
from optimizer.models import ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role, User
from rebal.services import membership_grant, user_ensure
from tests import data_factories as df
from tests.models_hub.factories import build_model_book
from tests.workflow.filter_book import analysis as analysis_of
from workflow.models import AccountDisposition, NightlyRun, RunAccount, SavedFilter, SettingsRule
from workflow.services.batches import batches_create_for_run
from workflow.services.kpi_summary import run_kpis_write

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

N = 3  # units of book in the small firm; the large one has 3N
MAX_QUERIES = 30  # session, user, membership, firm context, alerts and navigation included
FIRST_DAY = date(2026, 11, 24)

# (who, url name, query string): each role's dashboard, each list, a sort and a search.
PAGES = [
    ("advisor", "home", ""),
    ("advisor", "advisor-dashboard", ""),
    ("advisor", "advisor-dashboard", "?sort=-drift&q=P-"),
    ("advisor", "account-list", ""),
    ("advisor", "household-list", ""),
    ("admin", "account-list", "?sort=-account&q=P-"),
    ("admin", "household-list", "?sort=-name"),
    ("ipc", "ipc-change-list", ""),
    ("ipc", "ipc-allocation-list", "?sort=-code"),
    ("ipc", "ipc-product-list", ""),
    ("ipc", "ipc-program-list", ""),
    ("ipc", "ipc-equivalence-set-list", ""),
    ("ipc", "ipc-limit-list", ""),
    ("ipc", "ipc-subscription-list", ""),
    ("overlay", "overlay-dashboard", ""),
    ("overlay", "batch-queue", ""),
    ("overlay", "batch-queue", "?sort=-turnover"),
    ("overlay", "run-list", ""),
    ("overlay", "policy-list", ""),
    ("overlay", "settings-rule-list", ""),
    ("overlay", "filter-list", ""),
    ("compliance", "compliance-dashboard", ""),
    ("compliance", "audit-history", ""),
    ("compliance", "record-list", ""),
    ("management", "management-dashboard", ""),
    ("management", "kpi-page", ""),
    ("management", "taxes-saved", ""),
    ("management", "health-check", ""),
    ("management", "report-run-list", ""),
    ("data", "data-dashboard", ""),
    ("data", "feed-list", ""),
    ("data", "feed-monitor", ""),
    ("data", "data-exceptions", ""),
    ("data", "data-exceptions", "?sort=account&q=P-"),
    ("data", "unknown-security-list", ""),
    ("data", "corporate-action-list", ""),
    ("data", "corporate-action-report", ""),
    ("admin", "administration", ""),
    ("admin", "member-list", ""),
    ("admin", "team-list", ""),
    ("admin", "grant-list", ""),
    ("admin", "token-list", ""),
    ("operator", "operations-firms", ""),
    ("operator", "operations-feeds", ""),
    ("operator", "operations-runs", ""),
]


# Pages known to make queries per row, left to their owners (see docs/performance.md): each
# still renders a bounded page, but its count grows with the rows on it.
KNOWN_PER_ROW = {
    ("operator", "operations-runs", ""): "queries per firm's run shown",
}


@dataclass
class Firm:
    personas: Any
    book: Any
    people: dict[str, Any]
    units: int = 0


@pytest.fixture
def firm(alice_firm) -> Firm:
    book = build_model_book(alice_firm)
    people = {"advisor": alice_firm.advisor, "admin": alice_firm.admin, "ipc": book.ipc,
              "overlay": alice_firm.overlay_manager, "compliance": alice_firm.compliance}
    with audit_context(system_job="tests"), firm_context(alice_firm.firm):
        for key, role in (("management", Role.MANAGEMENT), ("data", Role.DATA_MANAGER)):
            people[key] = user_ensure(email=f"{key}@alice.test", password="correct-horse-9")
            membership_grant(user=people[key], roles=[role], acting_user=None,
                             system_job="tests")
    with audit_context(system_job="tests"):
        people["operator"] = User.objects.create(username="ops@host.test", email="ops@host.test",
                                                 is_platform_operator=True)
    return Firm(alice_firm, book, people)


def grow(firm: Firm, units: int) -> None:
    """Add `units` units of book (see the module docstring)."""
    personas, securities = firm.personas, firm.book.securities
    tickers = sorted(securities)[:2]
    for n in range(firm.units, firm.units + units):
        day = FIRST_DAY - timedelta(days=n)
        with firm_context(personas.firm), audit_context(system_job="tests"):
            household = Household.objects.create(code=f"P-HH{n}", name=f"Paged household {n}")
            accounts = [Account.objects.create(account_number=f"P-{n}-{letter}",
                                               name=f"Paged {n} {letter}", household=household,
                                               advisor_email="advisor@alice.test")
                        for letter in "ab"]
            lots = df.feed_file(name=f"tax_lots_{day:%Y%m%d}.csv",
                                status=FeedFile.Status.LOADED_WITH_ERRORS, rows_quarantined=1)
            df.quarantined_row(lots, line_number=2, column="quantity", reason="negative",
                               raw={"account_number": accounts[0].account_number})
            unknown = df.unknown_security(file=lots, ticker=f"UNK{n}")
            run = NightlyRun.objects.create(business_date=day, trigger="tests",
                                            status=NightlyRun.Status.SUCCEEDED)
            for account, disposition in zip(accounts, ("review", "suspend"), strict=True):
                df.snapshot(account, file=lots, lots=[
                    df.Lot(securities[tickers[0]], "100", "9000", date(2020, 1, 2)),
                    df.Lot(unknown.placeholder, "5", "500", date(2024, 1, 2), lot_id="L2")])
                analysis = analysis_of(account, day=day, value=20000, turnover=0.05, tax=100,
                                       tracking_error=0.02, drift=0.05)
                for side, ticker in (("sell", tickers[0]), ("buy", tickers[1])):
                    ProposedTrade.objects.create(
                        analysis=analysis, security=securities[ticker], side=side,
                        shares=Decimal(10), price=Decimal(100), value=Decimal(1000),
                        lots=[], realized_gain=Decimal(0), estimated_tax=Decimal(0),
                        reasons=["drift"], explanation=f"{side} {ticker}")
                RunAccount.objects.create(run=run, account=account, status="analyzed",
                                          analysis=analysis)
                AccountDisposition.objects.create(run=run, account=account,
                                                  disposition=disposition, rule="tests")
            df.hold(accounts[0], reason="holds an unknown security",
                    source=f"unknown_security:{unknown.placeholder_id}")
            df.reconciliation_break(accounts[1], day=day, reason=f"cash negative {n}")
            CorporateAction.objects.create(action_id=f"CA-P{n}", type=CorporateAction.Type.SPLIT,
                                           effective_date=day, ratio_from=1, ratio_to=2)
            SavedFilter.objects.create(name=f"Paged filter {n}",
                                       query={"field": "status", "op": "eq", "value": "open"})
            SettingsRule.objects.create(name=f"Paged rule {n}", query={"all": []},
                                        values={"tracking": "loose"})
            batches_create_for_run(run_id=run.pk)
            run_kpis_write(run_ids=[run.pk])  # as sorting the run does
            advisor_grant(household=household, advisor=personas.advisor,
                                     acting_user=None, reason="the test book")
    firm.units += units


def _counts(clients: dict[str, Client]) -> dict[tuple[str, str, str], int]:
    counts = {}
    for who, name, query in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(reverse(name) + query)
        assert response.status_code == 200, (who, name, query, response.status_code)
        counts[(who, name, query)] = len(queries)
    return counts


def test_pages_render_in_a_bounded_number_of_queries(firm):
    grow(firm, N)
    clients = {}
    for who, user in firm.people.items():
        clients[who] = Client()
        clients[who].force_login(user)
    _counts(clients)  # warm: the first request of a session loads what later ones reuse
    small = _counts(clients)
    grow(firm, 2 * N)
    large = _counts(clients)

    # Fewer is fine: the audit history reads each object type on its page once.
    grown = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    over = {page: count for page, count in large.items()
            if count > MAX_QUERIES}
    for page in KNOWN_PER_ROW:
        grown.pop(page, None)
        over.pop(page, None)
    assert not grown, f"queries grew with the book (N → 3N): {grown}"
    assert not over, f"over {MAX_QUERIES} queries: {over}"
