"""The data manager's pages: files received (and upload), one file with its quarantined rows,
and expected versus received files per schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dataops.forms import FeedFilterForm, FeedUploadForm
from dataops.models import FeedFile, QuarantinedRow
from dataops.services.feeds import Delivery, FeedNotStored, feed_file_receive
from dataops.services.monitoring import expected_files
from rebal.access import access_object
from rebal.listing import listing
from rebal.middleware import keep_writes
from rebal.permissions import can
from rebal.views.base import firm_page

FILE_SORTS = {"received": "received_at", "name": "name", "date": "business_date",
              "status": "status", "quarantined": "rows_quarantined"}
ROWS_PER_PAGE = 200
MONITOR_DAYS = 5
MONITOR_STATES = ("received", "received late", "missing", "not yet due")


def outcome(feed_file: FeedFile) -> str:
    """One line a person reads after delivering a file."""
    counts = (f"{feed_file.rows_read} read, {feed_file.rows_loaded} loaded, "
              f"{feed_file.rows_quarantined} quarantined")
    text = f"{feed_file.name}: {feed_file.get_status_display().lower()} — {counts}"
    return f"{text}. {feed_file.error}" if feed_file.error else f"{text}."


@firm_page("feed.view")
def feed_list(request: HttpRequest) -> HttpResponse:
    may_upload = can(request.user, "feed.upload")
    upload = FeedUploadForm()
    if request.method == "POST":
        if not may_upload:
            return HttpResponse(status=403)
        upload = FeedUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            received = upload.cleaned_data["file"]
            try:
                feed_file = feed_file_receive(
                    name=received.name, data=received.read(),
                    delivery=Delivery(door=FeedFile.Door.API,
                                      delivered_by=getattr(request.user, "email", ""),
                                      user=request.user))
            except FeedNotStored as error:
                upload.add_error("file", str(error))
                return keep_writes(_feed_list_page(request, upload, status=507))
            level = (messages.ERROR if feed_file.status == FeedFile.Status.REJECTED
                     else messages.WARNING if feed_file.rows_quarantined else messages.SUCCESS)
            messages.add_message(request, level, outcome(feed_file))
            return redirect("feed-detail", pk=feed_file.pk)
    return _feed_list_page(request, upload if may_upload else None,
                           status=400 if upload.errors else 200)


def _feed_list_page(request: HttpRequest, upload: FeedUploadForm | None, *,
                    status: int) -> HttpResponse:
    filters = FeedFilterForm(request.GET or None)
    files = FeedFile.objects.for_user(request.user, "feed.view")
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            files = files.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["feed"]:
            files = files.filter(feed=filters.cleaned_data["feed"])
    return render(request, "dataops/feed_list.html",
                  {"filters": filters, "upload": upload,
                   **listing(request, files, sorts=FILE_SORTS, default_sort="-received",
                             search=("name",))}, status=status)


@firm_page("feed.view")
def feed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feed_file = access_object(FeedFile, request.user, "feed.view", pk=pk)
    rows = (QuarantinedRow.objects.for_user(request.user, "feed.view")
            .filter(feed_file=feed_file).order_by("line_number", "column", "pk"))
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        row.raw_values = _culprit_first(row.raw, row.column)
    accounts = list(rows.exclude(account_number="").order_by("account_number")
                    .values_list("account_number", flat=True).distinct())
    return render(request, "dataops/feed_detail.html",
                  {"feed_file": feed_file, "page": page, "accounts": accounts})


@firm_page("feed.view")
def feed_monitor(request: HttpRequest) -> HttpResponse:
    expected = expected_files(days=MONITOR_DAYS)
    dates = sorted({e.business_date for e in expected})
    feeds = sorted({e.feed for e in expected})
    cells = {(e.feed, e.business_date): (e, e.state.replace(" ", "-")) for e in expected}
    grid = [(feed, [cells[(feed, day)] for day in dates]) for feed in feeds]
    states = [e.state for e in expected]
    legend = [(state, state.replace(" ", "-"), states.count(state)) for state in MONITOR_STATES]
    return render(request, "dataops/feed_monitor.html",
                  {"dates": dates, "grid": grid, "legend": legend})


def _culprit_first(raw: dict[str, str], column: str) -> list[tuple[str, str]]:
    """A row's values: the file's column order is not kept (jsonb), so the column at fault
    comes first, then the others by name."""
    return sorted(raw.items(), key=lambda item: (item[0] != column, item[0]))
