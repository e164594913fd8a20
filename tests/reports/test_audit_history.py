"""The audit history browser: every audited change of the firm with who (person, API token or
system job), when, what (before and after) and why; filters by object type, object, person,
dates and field changed; another firm's history invisible; a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccountSettings
from accounts.services.grants import advisor_grant
from accounts.services.settings import account_settings_update
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import api_token_create, membership_grant, user_ensure
from reports.audit_history import AuditQuery, audit_page, audited_types
from tests.workflow.trade_book import trade_book
from workflow.models import BatchTrade, TradeBatch
from workflow.services.batches import batch_approve, batch_trade_edit, batches_create_for_run

pytestmark = pytest.mark.django_db


def text_of(html):
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def changes(alice_firm):
    """An advisor's customization, an overlay manager's trade edit, a second one's approval,
    a change through an API token; the trade book itself is written by the job "tests"."""
    book = trade_book(alice_firm)
    firm = alice_firm.firm
    with firm_context(firm):
        batches_create_for_run(run_id=book.run.pk)
        batch = TradeBatch.objects.get(run=book.run, disposition="review")
        with audit_context(system_job="tests"):
            second = user_ensure(email="second-overlay@alice.test", password="correct-horse-9")
            membership_grant(user=second, roles=[Role.OVERLAY_MANAGER], acting_user=None,
                             system_job="tests")
        account = alice_firm.account
        account_settings_update(account=account, changes={"tax_sensitivity": "high"},
                                reason="client onboarding", acting_user=alice_firm.advisor)
        account_settings_update(account=account, changes={"tax_sensitivity": "maximum"},
                                reason="client asked at the annual review",
                                acting_user=alice_firm.advisor)
        trade = BatchTrade.objects.filter(batch=batch, side="buy").order_by("pk").first()
        batch_trade_edit(trade=trade, shares="35", reason="client wants a smaller position",
                         acting_user=alice_firm.overlay_manager)
        batch_approve(batch=batch, reason="edit checked", acting_user=second)
        with audit_context(system_job="tests"):
            issued = api_token_create(name="oms-feed", scopes=["accounts:read"],
                                      acting_user=alice_firm.admin)
        token = issued.token
        with audit_context(api_token=token, reason="renamed by the accounting system"):
            other = alice_firm.other_account
            other.name = "Beta Joint (renamed)"
            other.save()
        settings = AccountSettings.objects.get(account=account)
    return {"book": book, "batch": batch, "trade": trade, "second": second, "token": token,
            "settings": settings}


def _page(firm, **query):
    with firm_context(firm):
        return audit_page(firm_id=firm.pk, query=AuditQuery(**query))


def test_every_audited_firm_model_is_browsable():
    keys = set(audited_types())
    assert {"accounts.accountsettings", "workflow.batchtrade", "workflow.tradebatch",
            "accounts.account", "rebal.membership", "rebal.apitoken"} <= keys
    assert "rebal.user" not in keys and "rebal.firm" not in keys  # platform-wide, no firm


def test_newest_first_with_who_when_and_why(alice_firm, changes):
    entries = _page(alice_firm.firm).entries
    assert len(entries) > 30
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
    newest = entries[0]
    assert newest.type.key == "accounts.account" and newest.object_id == \
        alice_firm.other_account.pk
    assert (newest.who_kind, newest.who) == ("token", "API token oms-feed")
    assert newest.reason == "renamed by the accounting system"
    assert [(c.name, c.before, c.after) for c in newest.changes] == [
        ("name", "ALICE Beta Joint", "Beta Joint (renamed)")]
    oldest = _page(alice_firm.firm, oldest_first=True).entries[0]
    assert oldest.when <= entries[-1].when


def test_a_customization_shows_its_settings_before_and_after(alice_firm, changes):
    entries = _page(alice_firm.firm, model="accounts.accountsettings",
                    object_id=changes["settings"].pk).entries
    assert [e.action for e in entries] == ["changed", "created"]
    change, creation = entries
    assert (change.who_kind, change.who) == ("user", alice_firm.advisor.email)
    assert change.reason == "client asked at the annual review"
    assert [(c.label, c.before, c.after) for c in change.changes] == [
        ("values: tax sensitivity", "high", "maximum")]
    assert change.account == alice_firm.account
    assert creation.reason == "client onboarding"
    assert ("values: tax sensitivity", None, "high") in [
        (c.label, c.before, c.after) for c in creation.changes]
    assert change.when.tzinfo is not None and change.when.utcoffset() == dt.timedelta(0)


def test_a_trade_edit_and_the_approval_with_the_record_behind_the_trade(alice_firm, changes):
    trade, batch = changes["trade"], changes["batch"]
    edit = _page(alice_firm.firm, model="workflow.batchtrade", field="shares").entries
    assert len(edit) == 1
    assert edit[0].object_id == trade.pk
    assert (edit[0].who, edit[0].reason) == (alice_firm.overlay_manager.email,
                                             "client wants a smaller position")
    assert [(c.name, c.before, c.after) for c in edit[0].changes] == [
        ("shares", Decimal("40.000000"), Decimal("35.000000"))]
    assert edit[0].record_id == trade.analysis_id and edit[0].batch_id == batch.pk
    approval = _page(alice_firm.firm, model="workflow.tradebatch", field="status",
                     user_id=changes["second"].pk).entries
    assert [(e.who, e.reason, e.batch_id) for e in approval] == [
        (changes["second"].email, "edit checked", batch.pk)]
    assert ("status", "pending_review", "approved") in [
        (c.name, c.before, c.after) for c in approval[0].changes]


def test_a_grant_shows_who_let_which_advisor_see_what_and_why(alice_firm):
    with firm_context(alice_firm.firm):
        advisor_grant(advisor=alice_firm.advisor, household=alice_firm.other_household,
                      acting_user=alice_firm.admin, reason="covers for a colleague on leave")
    grant = _page(alice_firm.firm, model="accounts.grantevent").entries[0]
    assert (grant.type.label, grant.action, grant.who, grant.reason) == (
        "Advisor grant", "created", alice_firm.admin.email, "covers for a colleague on leave")
    shown = {c.name: c.after for c in grant.changes}
    assert (shown["kind"], shown["advisor"], shown["household"], shown["acted_by"]) == (
        "granted", alice_firm.advisor.email, alice_firm.other_household.pk,
        alice_firm.admin.email)
    page = Client()
    page.force_login(alice_firm.compliance)
    listed = text_of(page.get("/compliance/audit/", {"model": "accounts.grantevent"})
                     .content.decode())
    assert "Advisor grant" in listed and "covers for a colleague on leave" in listed


def test_filters_by_person_dates_and_object(alice_firm, changes):
    mine = _page(alice_firm.firm, user_id=alice_firm.advisor.pk).entries
    assert {e.who for e in mine} == {alice_firm.advisor.email}
    assert {e.reason for e in mine} >= {"client onboarding", "client asked at the annual review"}
    today = timezone.now().astimezone(dt.UTC).date()
    assert _page(alice_firm.firm, start=today + dt.timedelta(days=1)).entries == []
    assert _page(alice_firm.firm, end=today - dt.timedelta(days=1)).entries == []
    assert len(_page(alice_firm.firm, start=today, end=today).entries) == len(
        _page(alice_firm.firm).entries)
    one = _page(alice_firm.firm, model="workflow.batchtrade", object_id=changes["trade"].pk)
    assert {e.object_id for e in one.entries} == {changes["trade"].pk}
    assert [e.action for e in one.entries] == ["changed", "created"]
    jobs = _page(alice_firm.firm, model="workflow.tradebatch").entries
    assert ("job", "nightly sort") in {(e.who_kind, e.who) for e in jobs}  # made by the run


def test_pages_follow_one_another(alice_firm, changes):
    with firm_context(alice_firm.firm):
        first = audit_page(firm_id=alice_firm.firm.pk, query=AuditQuery(), per_page=10)
        second = audit_page(firm_id=alice_firm.firm.pk, query=AuditQuery(), page=2,
                            per_page=10)
    assert first.has_next and second.has_previous
    seen = {(e.type.key, e.history_id) for e in first.entries}
    assert not seen & {(e.type.key, e.history_id) for e in second.entries}
    assert first.entries[-1].when >= second.entries[0].when


def test_another_firms_history_is_invisible(alice_firm, bob_firm, changes):
    with firm_context(bob_firm.firm), audit_context(user=bob_firm.admin, reason="bob's change"):
        bob_firm.account.name = "Bob renamed"
        bob_firm.account.save()
    reasons = {e.reason for e in _page(alice_firm.firm, model="accounts.account").entries}
    assert "bob's change" not in reasons
    # Even asked for firm B's rows by id, firm A's context sees none (row-level security).
    with firm_context(alice_firm.firm):
        assert audit_page(firm_id=bob_firm.firm.pk, query=AuditQuery()).entries == []
    page = _client(alice_firm.compliance).get("/compliance/audit/?model=accounts.account")
    assert "bob&#x27;s change" not in page.content.decode() and "Bob renamed" not in text_of(
        page.content.decode())


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_page_for_compliance_only(alice_firm, changes):
    compliance = _client(alice_firm.compliance)
    response = compliance.get("/compliance/audit/", {"model": "workflow.batchtrade",
                                                    "field": "shares"})
    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "client wants a smaller position" in page and alice_firm.overlay_manager.email in page
    assert "shares 40 → 35" in page
    assert f'href="/records/{changes["trade"].analysis_id}/"' in response.content.decode()
    assert compliance.get(f"/records/{changes['trade'].analysis_id}/").status_code == 200
    batch_page = compliance.get(f"/workflow/batches/{changes['batch'].pk}/").content.decode()
    assert f'href="/records/{changes["trade"].analysis_id}/"' in batch_page  # and back
    for user in (alice_firm.advisor, alice_firm.overlay_manager):
        assert _client(user).get("/compliance/audit/").status_code == 403
    # A field belongs to an object type: without one the filter is refused, not ignored.
    refused = compliance.get("/compliance/audit/", {"field": "shares"})
    assert "Select a valid choice" in refused.content.decode()


def test_a_page_costs_a_bounded_number_of_queries(alice_firm, changes):
    """One union over the history tables, one per object type on the page, then the people,
    tokens and accounts named: never one per entry."""
    with firm_context(alice_firm.firm):
        with CaptureQueriesContext(connection) as few:
            small = audit_page(firm_id=alice_firm.firm.pk, per_page=5,
                               query=AuditQuery(model="workflow.batchtrade"))
        with CaptureQueriesContext(connection) as many:
            large = audit_page(firm_id=alice_firm.firm.pk, per_page=50,
                               query=AuditQuery(model="workflow.batchtrade"))
        with CaptureQueriesContext(connection) as mixed:
            page = audit_page(firm_id=alice_firm.firm.pk, query=AuditQuery())
    assert len(small.entries) == 5 and len(large.entries) > 5
    assert len(few) == len(many) <= 1 + 1 + 3
    kinds = len({e.type.key for e in page.entries})
    assert len(page.entries) > kinds
    assert len(mixed) <= 1 + kinds + 3
