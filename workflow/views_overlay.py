"""The overlay manager's dashboard: the latest nightly run (refreshed while it runs) with its
accounts per disposition, the review queue sorted by its metrics, the accounts the run suspended
and those on hold with why, the active settings rules and the release switch."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.hold_sources import hold_sources
from accounts.models import AccountHold
from rebal.permissions import can
from rebal.views.base import firm_page
from workflow.models import (
    BatchStatus,
    Disposition,
    NightlyRun,
    OversightList,
    SettingsRule,
    TradeBatch,
)
from workflow.selectors import run_progress
from workflow.selectors_overlay import active_settings_rules, disposition_counts, suspended_by_run
from workflow.services.release import release_control
from workflow.views_batches import kept_query, queue_context

ACTION = "overlay_dashboard.view"
QUEUE_PER_PAGE = 25
ACCOUNTS_PER_PAGE = 20
RULES_SHOWN = 10
# Holds list column -> field; its own parameters (hold_sort, hold_kind, holds_page) so that
# it pages and sorts apart from the queue.
HOLD_SORTS = {"account": "account__account_number", "kind": "kind", "reason": "reason",
              "source": "source", "since": "created_at"}
RUN_PART = "overlay-run"  # the htmx target that polls the run while it runs


def _run_context(request: HttpRequest) -> dict[str, Any]:
    run = NightlyRun.objects.for_user(request.user, ACTION).order_by("-business_date").first()
    if run is None:
        return {"run": None}
    counts = disposition_counts(run)
    return {"run": run, "progress": run_progress(run),
            "dispositions": [(d.value, d.label, counts[d.value]) for d in Disposition],
            "lists": [(o.value, o.label, counts[o.value]) for o in OversightList]}


def _holds_context(request: HttpRequest) -> dict[str, Any]:
    """Active holds of one kind (or all), sorted by a column in the database, one page."""
    kind = request.GET.get("hold_kind", "")
    sort = request.GET.get("hold_sort", "")
    if sort.removeprefix("-") not in HOLD_SORTS:
        sort = "-since"
    column, descending = HOLD_SORTS[sort.removeprefix("-")], sort.startswith("-")
    holds = (AccountHold.objects.for_user(request.user, ACTION).filter(cleared_at__isnull=True)
             .select_related("account").order_by(f"-{column}" if descending else column,
                                                 "-pk" if descending else "pk"))
    if kind in AccountHold.Kind.values:
        holds = holds.filter(kind=kind)
    page = Paginator(holds, ACCOUNTS_PER_PAGE).get_page(request.GET.get("holds_page"))
    sources = hold_sources([hold.source for hold in page])
    return {"holds": page, "hold_rows": [(hold, *sources[hold.source]) for hold in page],
            "holds_query": kept_query(request, "holds_page"), "hold_kind": kind,
            "hold_kinds": AccountHold.Kind.choices, "hold_sort": sort,
            "hold_sort_query": kept_query(request, "hold_sort", "holds_page"),
            "hold_columns": [(key, key.capitalize()) for key in HOLD_SORTS]}


@firm_page(ACTION)
def overlay_dashboard(request: HttpRequest) -> HttpResponse:
    context = _run_context(request)
    if request.htmx and request.htmx.target == RUN_PART:  # type: ignore[attr-defined]
        return render(request, "workflow/_overlay_run.html", context)
    waiting = TradeBatch.objects.for_user(request.user, ACTION).filter(
        status=BatchStatus.PENDING_REVIEW)
    suspended = suspended_by_run(context["run"]) if context["run"] else None
    rules = active_settings_rules(SettingsRule.objects.for_user(request.user, ACTION))
    context.update({
        **queue_context(request, waiting, per_page=QUEUE_PER_PAGE),
        **_holds_context(request),
        "suspended": Paginator(suspended, ACCOUNTS_PER_PAGE).get_page(
            request.GET.get("suspended_page")) if suspended is not None else None,
        "suspended_query": kept_query(request, "suspended_page"),
        "rules": rules[:RULES_SHOWN], "rule_count": rules.count(),
        "may_manage_rules": can(request.user, "settings_rule.manage"),
        "control": release_control(),
        "may_control": can(request.user, "release_control.manage"),
        "run_part": RUN_PART,
    })
    return render(request, "workflow/overlay_dashboard.html", context)
