"""Pages: households and accounts the signed-in person may see."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account, Household
from accounts.selectors import holdings, open_holds
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page

ACCOUNT_SORTS = {"account": "account_number", "name": "name", "household": "household__name",
                 "status": "status"}
HOUSEHOLD_SORTS = {"code": "code", "name": "name"}


@firm_page("household.view")
def household_list(request: HttpRequest) -> HttpResponse:
    households = Household.objects.for_user(request.user, "household.view")
    return render(request, "accounts/household_list.html",
                  listing(request, households, sorts=HOUSEHOLD_SORTS, search=("code", "name")))


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
                  listing(request, accounts, sorts=ACCOUNT_SORTS,
                          search=("account_number", "name")))


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
