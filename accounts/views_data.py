"""The data manager's exception pages that need the accounts room: accounts on hold and
reconciliation breaks, and the unknown-securities queue with the accounts that hold each one.

The queue lives with the security master in dataops, which may not import accounts; the page
lives here so that it can count holders, and resolves through the dataops services, whose hook
clears the holds (accounts.services.unknown_securities).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.hold_sources import hold_sources
from accounts.models import AccountHold, ReconciliationBreak, TaxLot
from dataops.forms import UnknownSecurityAddForm, UnknownSecurityMapForm
from dataops.models import UnknownSecurity
from dataops.services.unknown_securities import unknown_security_add, unknown_security_map
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page

HOLDS_PER_PAGE = 100
HOLD_SORTS = {"since": "created_at", "account": "account__account_number", "kind": "kind"}
BREAKS_SHOWN = 200
RESOLVED_SHOWN = 10
UNKNOWN_PER_PAGE = 25
UNKNOWN_SORTS = {"first_seen": "first_seen_file__received_at", "ticker": "ticker",
                 "cusip": "cusip"}
UNKNOWN_SORT_CHOICES = [("first_seen", "Oldest first"), ("-first_seen", "Newest first"),
                        ("ticker", "Ticker"), ("cusip", "CUSIP")]


def _label(entry: UnknownSecurity) -> str:
    """How people name an unknown security: its ticker, else its CUSIP."""
    return entry.ticker or entry.cusip


@firm_page("feed.view")
def data_exceptions(request: HttpRequest) -> HttpResponse:
    """Accounts kept out of trading and why; reconciliation breaks."""
    holds = (AccountHold.objects.for_user(request.user, "account.view")
             .filter(cleared_at__isnull=True).select_related("account"))
    kind = request.GET.get("kind", "")
    if kind in AccountHold.Kind.values:
        holds = holds.filter(kind=kind)
    shown = listing(request, holds, sorts=HOLD_SORTS, default_sort="-since",
                    search=("account__account_number", "account__name", "reason"),
                    per_page=HOLDS_PER_PAGE)
    page = shown["page"]
    breaks = (ReconciliationBreak.objects.for_user(request.user, "account.view")
              .select_related("account").order_by("-business_date", "account__account_number"))
    sources = hold_sources([hold.source for hold in page])
    context = {
        **shown,
        "rows": [(hold, *sources[hold.source]) for hold in page],
        "kinds": AccountHold.Kind.choices,
        "kind": kind,
        "accounts_on_hold": holds.values("account_id").distinct().count(),
        "breaks": breaks[:BREAKS_SHOWN],
        "break_count": breaks.count(),
        "unknown_count": UnknownSecurity.objects.for_user(request.user, "feed.view")
        .filter(status=UnknownSecurity.Status.OPEN).count(),
    }
    return render(request, "accounts/holds_list.html", context)


@firm_page("feed.view")
def unknown_security_list(request: HttpRequest) -> HttpResponse:
    return _queue(request)


def _cards(entries: list[UnknownSecurity], failed: dict[str, Any] | None = None
           ) -> list[dict[str, Any]]:
    """Each entry with the number of accounts holding it and its two forms; `failed` holds the
    bound form of a submission that did not validate."""
    accounts: dict[int, dict[int, str]] = {}
    for security_id, account_id, number in (
            TaxLot.objects.filter(security_id__in=[e.placeholder_id for e in entries])
            .values_list("security_id", "account_id", "account__account_number").distinct()):
        accounts.setdefault(security_id, {})[account_id] = number
    failed = failed or {}
    asset_classes: list[Any] = []  # read once for every card's form

    def add_form(entry: UnknownSecurity) -> UnknownSecurityAddForm:
        form = UnknownSecurityAddForm(prefix=f"add-{entry.pk}")
        if not asset_classes:
            asset_classes.extend(form.fields["asset_class"].choices)
        form.fields["asset_class"].choices = asset_classes
        return form

    return [{
        "entry": entry,
        "holders": len(accounts.get(entry.placeholder_id, {})),
        "accounts": sorted(accounts.get(entry.placeholder_id, {}).items(), key=lambda a: a[1]),
        "add": failed.get("add") or add_form(entry),
        "map": failed.get("map") or UnknownSecurityMapForm(prefix=f"map-{entry.pk}"),
    } for entry in entries]


def _queue(request: HttpRequest, failed: tuple[int, dict[str, Any]] | None = None
           ) -> HttpResponse:
    """The open queue, oldest first unless sorted otherwise, a page at a time, and the last
    entries resolved."""
    queue = UnknownSecurity.objects.for_user(request.user, "feed.view")
    shown = listing(request, queue.filter(status=UnknownSecurity.Status.OPEN)
                    .select_related("first_seen_file"), sorts=UNKNOWN_SORTS,
                    search=("ticker", "cusip"), per_page=UNKNOWN_PER_PAGE)
    cards = _cards(list(shown["page"]))
    if failed is not None:
        for card in cards:
            if card["entry"].pk == failed[0]:
                card.update(failed[1])
    resolved = (queue.filter(status=UnknownSecurity.Status.RESOLVED)
                .select_related("resolved_to", "resolved_by").order_by("-resolved_at", "-pk")
                [:RESOLVED_SHOWN])
    return render(request, "dataops/unknown_security_list.html",
                  {**shown, "cards": cards, "resolved": resolved,
                   "sort_choices": UNKNOWN_SORT_CHOICES,
                   "may_edit": can(request.user, "security.edit")},
                  status=200 if failed is None else 400)


def _resolved(request: HttpRequest, message: str) -> HttpResponse:
    """After a resolution: the card's replacement (htmx) or the queue again, with the news."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "dataops/_unknown_security_resolved.html", {"message": message})
    messages.success(request, message)
    return redirect("unknown-security-list")


def _refused(request: HttpRequest, entry: UnknownSecurity, form: Any, which: str
             ) -> HttpResponse:
    """A submission that did not validate: its card again with the errors (htmx swaps 200s
    only), or the whole queue."""
    if request.htmx:  # type: ignore[attr-defined]
        [card] = _cards([entry], {which: form})
        return render(request, "dataops/_unknown_security_card.html",
                      {"card": card, "may_edit": True})
    return _queue(request, failed=(entry.pk, {which: form}))


@require_POST
@firm_page("security.edit")
def unknown_security_add_page(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_object(UnknownSecurity, request.user, "security.edit", pk=pk)
    form = UnknownSecurityAddForm(request.POST, prefix=f"add-{entry.pk}")
    if form.is_valid():
        try:
            unknown_security_add(entry=entry, acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _resolved(request, f"{_label(entry)} added to the security master as "
                                      f"{form.cleaned_data['name']}; the holds it caused are "
                                      "cleared.")
    return _refused(request, entry, form, "add")


@require_POST
@firm_page("security.edit")
def unknown_security_map_page(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access_object(UnknownSecurity, request.user, "security.edit", pk=pk)
    form = UnknownSecurityMapForm(request.POST, prefix=f"map-{entry.pk}")
    if form.is_valid():
        target = form.cleaned_data["security"]
        try:
            unknown_security_map(entry=entry, target=target, reason=form.cleaned_data["reason"],
                                 acting_user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _resolved(request, f"{_label(entry)} mapped to {target} ({target.name}); "
                                      "the holds it caused are cleared.")
    return _refused(request, entry, form, "map")
