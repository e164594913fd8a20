"""Explained activity: one account's (a page, a PDF with `?format=pdf` and a CSV with
`?format=csv`) and the firm's, an advisor's or a team's (a page of accounts at a time, and a
CSV of every account's trades), each over a period with the reasons in plain English."""

from __future__ import annotations

import csv
import io

from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from accounts.models import Account
from optimizer.models import ProposedTrade
from rebal.access import access_object
from rebal.listing import listing
from rebal.pdf import pdf_from_html
from rebal.views.base import firm_page
from reports.activity import AccountActivity, account_activity, accounts_activity, purpose
from reports.views_taxes_saved import LIVE_LIMIT, PeriodForm

ACCOUNTS_PER_PAGE = 20
CSV_HEADER = ("trade_date", "side", "shares", "security", "value", "realized_gain", "purpose",
              "reasons", "explanation")


def activity_csv(activities: list[AccountActivity], *, with_account: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((("account_number",) if with_account else ()) + CSV_HEADER)
    for activity in activities:
        first = [activity.account.account_number] if with_account else []
        for day in activity.days:
            for t in day.trades:
                security = t.security.ticker or t.security.cusip
                writer.writerow([*first, day.trade_date, t.side, t.shares, security, t.value,
                                 t.realized_gain, purpose(t),
                                 "; ".join(str(r) for r in t.reasons), t.explanation])
    return out.getvalue()


@firm_page("report.view")
def activity_page(request: HttpRequest) -> HttpResponse:
    """The accounts in scope that traded in the period, a page of narratives at a time; the
    CSV and PDF have every one's trades (up to the live report's limit of accounts)."""
    form = PeriodForm(request.GET)
    start, end = form.period()
    firm = request.firm  # type: ignore[attr-defined]
    accounts, whom = form.narrowed(Account.objects.for_user(request.user, "report.view"), firm)
    traded = accounts.filter(Exists(ProposedTrade.objects.filter(
        analysis__account=OuterRef("pk"), analysis__trade_date__gte=start,
        analysis__trade_date__lte=end)))
    title = f"Explained activity — {whom or firm.name}"
    kind = request.GET.get("format")
    if kind in ("csv", "pdf"):
        if traded.count() > LIVE_LIMIT:
            return HttpResponse(f"More than {LIVE_LIMIT:,} accounts traded: narrow the report to "
                                "an advisor or a team.", status=400, content_type="text/plain")
        activities = accounts_activity(accounts=list(traded.order_by("account_number")),
                                       start=start, end=end)
        if kind == "csv":
            response = HttpResponse(activity_csv(activities, with_account=True),
                                    content_type="text/csv")
        else:
            response = HttpResponse(pdf_from_html(render_to_string(
                "reports/activity_accounts_pdf.html", {
                    "title": title, "firm": firm, "start": start, "end": end,
                    "activities": activities})), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="activity_{start:%Y%m%d}_{end:%Y%m%d}.{kind}"')
        return response
    shown = listing(request, traded, sorts={"account": "account_number", "name": "name"},
                    per_page=ACCOUNTS_PER_PAGE)
    return render(request, "reports/activity.html", {
        **shown, "title": title, "form": form, "start": start, "end": end,
        "activities": accounts_activity(accounts=list(shown["page"]), start=start, end=end)})


@firm_page("report.view")
def activity_account_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "report.view", pk=pk)
    form = PeriodForm(request.GET)
    start, end = form.period()
    activity = account_activity(account=account, start=start, end=end)
    context = {"activity": activity, "account": account, "firm": request.firm,  # type: ignore[attr-defined]
               "title": f"Explained activity — {account.account_number} {account.name}",
               "form": form, "query": request.GET.copy().urlencode()}
    stem = f"activity_{account.account_number}_{start:%Y%m%d}_{end:%Y%m%d}"
    kind = request.GET.get("format")
    if kind == "csv":
        response = HttpResponse(activity_csv([activity]), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if kind == "pdf":
        response = HttpResponse(pdf_from_html(render_to_string("reports/activity_pdf.html",
                                                               context)),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    return render(request, "reports/activity_account.html", context)
