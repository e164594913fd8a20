"""The platform operator's view of every firm's nightly runs: one firm at a time, through that
firm's own context (row-level security is entered, never bypassed), monitoring rows only."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rebal.firm_context import firm_context
from rebal.listing import FIRM_SEARCH, FIRM_SORTS, FIRMS_PER_PAGE, listing
from rebal.models import Alert, Firm
from workflow.models import NightlyRun
from workflow.selectors import RunProgress, runs_progress


@dataclass(frozen=True)
class FirmRuns:
    firm: Firm
    runs: list[RunProgress]
    open_alerts: int


def firm_runs(firm: Firm, count: int = 5) -> FirmRuns:
    with firm_context(firm):
        runs = runs_progress(list(NightlyRun.objects.select_related("firm")
                                  .order_by("-business_date")[:count]))
        alerts = Alert.objects.filter(kind__in=["nightly_run_late", "nightly_run_failed",
                                                "accounts_not_analyzed"],
                                      acknowledged_at__isnull=True).count()
    return FirmRuns(firm, runs, alerts)


def operations_runs(request: HttpRequest) -> HttpResponse:
    """Hosting staff only; to everyone else the page does not exist."""
    if not request.user.is_authenticated or not request.user.is_platform_operator:  # type: ignore[union-attr]
        raise Http404
    shown = listing(request, Firm.objects.filter(is_active=True), sorts=FIRM_SORTS,
                    search=FIRM_SEARCH, per_page=FIRMS_PER_PAGE)
    return render(request, "workflow/operations_runs.html", {
        **shown, "rows": [firm_runs(firm) for firm in shown["page"]]})
