"""Explained activity of one account: a page, a PDF (`?format=pdf`) and a CSV
(`?format=csv`) of its trades over a period with the reasons in plain English."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from accounts.models import Account
from rebal.access import access_object
from rebal.pdf import pdf_from_html
from rebal.views.base import firm_page
from reports.activity import AccountActivity, account_activity, purpose
from reports.views_taxes_saved import PeriodForm

CSV_HEADER = ("trade_date", "side", "shares", "security", "value", "realized_gain", "purpose",
              "reasons", "explanation")


def activity_csv(activity: AccountActivity) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for day in activity.days:
        for t in day.trades:
            security = t.security.ticker or t.security.cusip
            writer.writerow([day.trade_date, t.side, t.shares, security, t.value,
                             t.realized_gain, purpose(t),
                             "; ".join(str(r) for r in t.reasons), t.explanation])
    return out.getvalue()


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
        response = HttpResponse(activity_csv(activity), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if kind == "pdf":
        response = HttpResponse(pdf_from_html(render_to_string("reports/activity_pdf.html",
                                                               context)),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    return render(request, "reports/activity_account.html", context)
