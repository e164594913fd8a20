"""The platform operator's view of every firm's file transfers: one firm at a time, through
that firm's own context (row-level security is entered, never bypassed), monitoring rows only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dataops.models import FeedFile
from dataops.services.monitoring import expected_files
from rebal.firm_context import firm_context
from rebal.listing import FIRM_SEARCH, FIRM_SORTS, FIRMS_PER_PAGE, listing
from rebal.models import Alert, Firm


@dataclass(frozen=True)
class FirmTransfers:
    firm: Firm
    states: list[tuple[str, int]]
    files_today: list[tuple[str, int]]
    late_alerts: int


def firm_transfers(firm: Firm) -> FirmTransfers:
    since = timezone.now() - timezone.timedelta(days=1)
    with firm_context(firm):
        states = Counter(e.state for e in expected_files(days=1))
        files = Counter(FeedFile.objects.filter(received_at__gte=since)
                        .values_list("status", flat=True))
        late = Alert.objects.filter(kind="late_file", acknowledged_at__isnull=True).count()
    return FirmTransfers(firm=firm, states=sorted(states.items()),
                         files_today=sorted(files.items()), late_alerts=late)


def operations_feeds(request: HttpRequest) -> HttpResponse:
    """Hosting staff only; to everyone else the page does not exist."""
    if not request.user.is_authenticated or not request.user.is_platform_operator:  # type: ignore[union-attr]
        raise Http404
    shown = listing(request, Firm.objects.filter(is_active=True), sorts=FIRM_SORTS,
                    search=FIRM_SEARCH, per_page=FIRMS_PER_PAGE)
    return render(request, "dataops/operations_feeds.html", {
        **shown, "rows": [firm_transfers(firm) for firm in shown["page"]]})
