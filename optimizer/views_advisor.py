"""The advisor's pages: their book (drift, cash and proposed trades of each account's latest
analysis), an account's weights against target, lots and proposed trades, and the
customization editor with a live check against the limits and a what-if before saving."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.services.settings import account_settings_update
from dataops.models import AssetClass
from optimizer.account_inputs import AccountNotAnalyzable
from optimizer.advisor_book import (
    SORTS,
    advisor_accounts,
    advisor_book,
    book_totals,
    valued_lots,
    weight_bars,
)
from optimizer.customization_editor import (
    change_problems,
    changes_described,
    editor_for,
    requested_change,
)
from optimizer.selectors import latest_analysis
from optimizer.services import account_what_if
from rebal.access import access_object
from rebal.charts import drift_bars_svg
from rebal.permissions import can
from rebal.views.base import firm_page

PAGE_SIZE = 25
STATUSES = (("", "Any"), ("trades", "Trades proposed"), ("relaxed", "Trades, limits relaxed"),
            ("no_trades", "No trades"), ("failed", "Failed"), ("none", "Not analyzed"))


def _today(request: HttpRequest) -> Any:
    return timezone.now().astimezone(ZoneInfo(request.firm.timezone)).date()  # type: ignore[attr-defined]


@firm_page("advisor_dashboard.view")
def advisor_dashboard(request: HttpRequest) -> HttpResponse:
    accounts = Account.objects.for_user(request.user, "advisor_dashboard.view")
    sort = request.GET.get("sort", "drift")
    sort = sort if sort in SORTS else "drift"
    descending = request.GET.get("dir", "desc" if sort != "account" else "asc") == "desc"
    search, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    outside = request.GET.get("outside") == "1"
    book = advisor_book(accounts)
    rows = advisor_accounts(book, search=search, status=status, outside_band=outside,
                            sort=sort, descending=descending)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = book_totals(book)
    filters = urlencode([(k, v) for k, v in (("q", search), ("status", status),
                                             ("outside", "1" if outside else "")) if v])
    ordering = f"sort={sort}&dir={'desc' if descending else 'asc'}"
    context = {"page": page, "filters": filters,
               "query": f"{filters}&{ordering}" if filters else ordering,
               "sort": sort, "descending": descending, "search": search,
               "status": status, "outside": outside, "statuses": STATUSES, "totals": totals,
               "columns": [("account", "Account"), ("household", "Household"),
                           ("value", "Value"), ("drift", "Largest drift"), ("cash", "Cash"),
                           ("trades", "Proposed trades"), ("date", "Analyzed")]}
    template = ("optimizer/_advisor_accounts.html" if request.htmx  # type: ignore[attr-defined]
                else "optimizer/advisor_dashboard.html")
    return render(request, template, context)


def _class_labels() -> dict[str, str]:
    return dict(AssetClass.objects.values_list("code", "name"))


@firm_page("account.view")
def advisor_account(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "account.view", pk=pk)
    today = _today(request)
    analysis = latest_analysis(account)
    chart, trades = "", []
    if analysis is not None and analysis.before.get("drift"):
        band = float(analysis.calibration.get("asset_class_band", 0.0))
        chart = mark_safe(drift_bars_svg(  # noqa: S308 (every text escaped)  # nosec B308 B703
            weight_bars(analysis.before, _class_labels()), band=band,
            title=f"{account.account_number}: weight against target by asset class"))
    if analysis is not None:
        trades = list(analysis.trades.select_related("security").order_by("side", "-value"))
    lots, totals = valued_lots(account, today)
    return render(request, "optimizer/advisor_account.html", {
        "account": account, "analysis": analysis, "chart": chart, "trades": trades,
        "lots": lots, "totals": totals, "as_of": today,
        "may_customize": can(request.user, "account.change_settings"),
    })


def _editor_context(request: HttpRequest, account: Account) -> dict[str, Any]:
    editor = editor_for(account)
    return {"account": account, "editor": editor}


@firm_page("account.change_settings")
def customize(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "account.change_settings", pk=pk)
    context = _editor_context(request, account)
    status = 200
    if request.method == "POST":
        changes = requested_change(context["editor"], request.POST)
        reason = request.POST.get("reason", "")
        if not changes:
            context["problems"] = ["Nothing changed: every setting is as it was."]
            status = 400
        else:
            try:
                account_settings_update(account=account, changes=changes, reason=reason,
                                        acting_user=request.user)
            except ValidationError as error:
                context["problems"], status = error.messages, 400
            else:
                messages.success(request, "Saved: " + "; ".join(changes_described(changes)))
                return redirect("advisor-account", pk=account.pk)
    return render(request, "optimizer/customize.html", context, status=status)


@require_POST
@firm_page("account.change_settings")
def customize_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The live check (htmx): the change in words and whatever the limits refuse."""
    account = access_object(Account, request.user, "account.change_settings", pk=pk)
    changes = requested_change(editor_for(account), request.POST)
    problems = change_problems(account=account, changes=changes, acting_user=request.user)
    return render(request, "optimizer/_customize_check.html", {
        "changes": changes_described(changes), "problems": problems})


@require_POST
@firm_page("account.change_settings")
def customize_what_if(request: HttpRequest, pk: int) -> HttpResponse:
    """The what-if (htmx): the optimizer run for this account under the unsaved change."""
    account = access_object(Account, request.user, "account.change_settings", pk=pk)
    changes = requested_change(editor_for(account), request.POST)
    context: dict[str, Any] = {"changes": changes_described(changes)}
    try:
        found = account_what_if(account=account, as_of=_today(request), changes=changes,
                                acting_user=request.user)
    except ValidationError as error:
        context["problems"] = error.messages
    except AccountNotAnalyzable as refused:
        context["problems"] = [str(refused)]
    else:
        result = found.result
        labels = _class_labels()
        band = result.calibration.asset_class_band
        after = {"drift": [{"asset_class": d.asset_class, "weight": d.weight,
                            "target": d.target} for d in result.after.drift]}
        context.update({
            "result": result, "metrics": result.trade_metrics,
            "trades": sorted(result.trades, key=lambda t: (t.side, -t.value)),
            "chart": mark_safe(drift_bars_svg(  # noqa: S308 (every text escaped)  # nosec B308 B703
                weight_bars(after, labels), band=band,
                title="After the what-if's trades: weight against target")),
        })
    return render(request, "optimizer/_what_if.html", context)
