"""The data manager's dashboard (/data/): what needs a data manager today, each part a count
and the first few rows, linking to the page that deals with it.

Today's files against their schedules, files with quarantined rows, open unknown securities,
corporate actions not applied and accounts held by them, accounts on hold by reason, and the
latest reconciliation breaks. It spans dataops and accounts, so it lives in the accounts room.
Every part is a fixed number of grouped queries, whatever the size of the book.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.hold_sources import UNKNOWN_SOURCE
from accounts.models import AccountHold, CorporateActionExpectation, ReconciliationBreak
from accounts.services.corporate_actions import HOLD_PREFIX
from dataops.models import CorporateAction, FeedFile, UnknownSecurity
from dataops.services.monitoring import expected_files
from dataops.views import MONITOR_STATES
from rebal.views.base import firm_page

SHOWN = 8  # rows of each part shown; the part's page has the rest


@firm_page("feed.view")
def data_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "accounts/data_dashboard.html", {
        **_feeds(user), **_unknown(user), **_corporate_actions(user), **_holds(user),
        **_breaks(user),
    })


def _feeds(user: Any) -> dict[str, Any]:
    """The files due today (the last business date's) per schedule, and files with rows kept
    out, newest first."""
    expected = expected_files(days=1)
    states = [e.state for e in expected]
    files = FeedFile.objects.for_user(user, "feed.view")
    quarantined = files.filter(rows_quarantined__gt=0)
    totals = quarantined.aggregate(files=Count("pk"), rows=Sum("rows_quarantined"))
    return {
        "expected": [(e, e.state.replace(" ", "-")) for e in expected],
        "business_date": expected[0].business_date if expected else None,
        "files_missing": states.count("missing"),
        "feed_states": [(state, state.replace(" ", "-"), states.count(state))
                        for state in MONITOR_STATES],
        "quarantined": quarantined.order_by("-received_at", "-pk")[:SHOWN],
        "quarantined_files": totals["files"],
        "quarantined_rows": totals["rows"] or 0,
    }


def _unknown(user: Any) -> dict[str, Any]:
    entries = (UnknownSecurity.objects.for_user(user, "feed.view")
               .filter(status=UnknownSecurity.Status.OPEN))
    return {
        "unknown": entries.select_related("first_seen_file")
        .order_by("first_seen_file__received_at", "pk")[:SHOWN],
        "unknown_count": entries.count(),
    }


def _corporate_actions(user: Any) -> dict[str, Any]:
    """Actions not applied (waiting, or lacking a term), corrected ones to re-apply, and what
    the custodian's snapshots said of the expected lots."""
    actions = CorporateAction.objects.for_user(user, "corporate_action.view")
    statuses = CorporateAction.Status
    counts = actions.aggregate(
        received=Count("pk", filter=Q(status=statuses.RECEIVED)),
        problems=Count("pk", filter=Q(status=statuses.RECEIVED) & ~Q(problem="")),
        corrected=Count("pk", filter=Q(status=statuses.CORRECTED)))
    expectations = (CorporateActionExpectation.objects.for_user(user, "corporate_action.view")
                    .aggregate(
                        waiting=Count("pk", filter=Q(
                            status=CorporateActionExpectation.Status.EXPECTED)),
                        breaks=Count("pk", filter=Q(
                            status=CorporateActionExpectation.Status.BREAK))))
    return {
        "actions": counts, "expectations": expectations,
        "pending_actions": actions.filter(status__in=[statuses.RECEIVED, statuses.CORRECTED])
        .order_by("effective_date", "action_id")[:SHOWN],
    }


def _holds(user: Any) -> dict[str, Any]:
    """Accounts on hold, counted once each, by what set the hold."""
    held = Count("account", distinct=True)
    kinds = AccountHold.Kind
    counts = (AccountHold.objects.for_user(user, "account.view").filter(cleared_at__isnull=True)
              .aggregate(
                  accounts=held,
                  data_error=Count("account", distinct=True, filter=Q(kind=kinds.DATA_ERROR)),
                  feed=Count("account", distinct=True, filter=Q(source__startswith="feed:")),
                  unknown=Count("account", distinct=True,
                                filter=Q(source__startswith=UNKNOWN_SOURCE)),
                  corporate_action=Count("account", distinct=True,
                                         filter=Q(source__startswith=HOLD_PREFIX)),
                  stale=Count("account", distinct=True, filter=Q(source__startswith="stale:")),
                  suspension=Count("account", distinct=True, filter=Q(kind=kinds.SUSPENSION)),
                  compliance=Count("account", distinct=True, filter=Q(kind=kinds.COMPLIANCE))))
    return {"holds": counts}


def _breaks(user: Any) -> dict[str, Any]:
    """The reconciliation breaks of the latest business date that has any, by kind."""
    breaks = ReconciliationBreak.objects.for_user(user, "account.view")
    latest = breaks.aggregate(day=Max("business_date"))["day"]
    if latest is None:
        return {"break_date": None, "break_kinds": [], "break_count": 0, "breaks": []}
    of_day = breaks.filter(business_date=latest)
    kinds = list(of_day.values("kind").annotate(count=Count("pk")).order_by("-count", "kind"))
    return {
        "break_date": latest,
        "break_kinds": [(row["kind"], row["count"]) for row in kinds],
        "break_count": sum(row["count"] for row in kinds),
        "breaks": of_day.select_related("account").order_by("account__account_number", "kind")
        [:SHOWN],
    }
