"""Pages: households and accounts the signed-in person may see."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account, Household
from accounts.selectors import holdings, open_holds
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page

PER_PAGE = 50
ACCOUNT_SORTS = {"account": "account_number", "name": "name", "household": "household__name",
                 "status": "status"}
HOUSEHOLD_SORTS = {"code": "code", "name": "name"}


def _listing(request: HttpRequest, rows: QuerySet, sorts: dict[str, str],
             search: tuple[str, ...]) -> dict[str, object]:
    """A list page's rows: searched, sorted by a known column (`-` for descending) and paged
    in the database — a firm may have a hundred thousand of them."""
    text = request.GET.get("q", "").strip()
    if text:
        matches = Q()
        for field in search:
            matches |= Q(**{f"{field}__icontains": text})
        rows = rows.filter(matches)
    sort = request.GET.get("sort", "")
    column = sorts.get(sort.removeprefix("-"), next(iter(sorts.values())))
    rows = rows.order_by(f"-{column}" if sort.startswith("-") else column, "pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in (("q", text), ("sort", sort)) if value})
    return {"page": page, "q": text, "sort": sort, "query": query}


@firm_page("household.view")
def household_list(request: HttpRequest) -> HttpResponse:
    households = Household.objects.for_user(request.user, "household.view")
    return render(request, "accounts/household_list.html",
                  _listing(request, households, HOUSEHOLD_SORTS, ("code", "name")))


@firm_page("household.view")
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = access_object(Household, request.user, "household.view", pk=pk)
    accounts = Account.objects.for_user(request.user, "account.view").filter(household=household)
    return render(request, "accounts/household_detail.html",
                  {"household": household, "accounts": accounts})


@firm_page("account.view")
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = Account.objects.for_user(request.user, "account.view").select_related("household")
    return render(request, "accounts/account_list.html",
                  _listing(request, accounts, ACCOUNT_SORTS, ("account_number", "name")))


@firm_page("account.view")
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "account.view", pk=pk)
    today = timezone.now().astimezone(ZoneInfo(request.firm.timezone)).date()  # type: ignore[attr-defined]
    snapshot = holdings(account.pk, today)
    return render(request, "accounts/account_detail.html", {
        "account": account,
        "holdings": snapshot,
        "cost_basis": sum((lot.cost_basis for lot in snapshot.lots), Decimal(0)),
        "holds": open_holds(account.pk),
        "may_view_records": can(request.user, "record.view"),
    })
