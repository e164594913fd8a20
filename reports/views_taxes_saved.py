"""Taxes-saved pages: the firm's (or an advisor's, or a team's) report and one account's, each
as a page, a PDF (`?format=pdf`) and a CSV (`?format=csv`), for any period (`from`, `to`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Account
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page
from reports.account_charts import account_charts
from reports.models import ReportRun
from reports.report_scope import ScopeForm
from reports.taxes_saved_exports import taxes_saved_context, taxes_saved_csv, taxes_saved_pdf
from reports.taxes_saved_report import TaxesSavedReport, taxes_saved_report

PAGE_SIZE = 100
# More accounts than this are not computed on request (15 s for 100,000): the page points to
# the firm's report made in the background (reports.report_runs) and to an advisor or team.
LIVE_LIMIT = 5000


class PeriodForm(ScopeForm):
    """The report's period (trade dates, inclusive) and, for the firm's, an advisor or a
    team."""

    start = forms.DateField(label="From", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["start", "end", "advisor", "team"]

    def period(self) -> tuple[date, date]:
        """Year to date unless given."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        return (data.get("start") or date(today.year, 1, 1), data.get("end") or today)


def _download(request: HttpRequest, report: TaxesSavedReport, name: str, *,
              title: str, account: Any = None,
              charts: list[str] | None = None) -> HttpResponse | None:
    stem = f"{name}_{report.start:%Y%m%d}_{report.end:%Y%m%d}"
    kind = request.GET.get("format")
    if kind == "csv":
        response = HttpResponse(taxes_saved_csv(report), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return response
    if kind == "pdf":
        response = HttpResponse(taxes_saved_pdf(report, firm=request.firm,  # type: ignore[attr-defined]
                                                title=title, account=account,
                                                charts=charts),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    return None


@firm_page("report.view")
def taxes_saved_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    start, end = form.period()
    firm = request.firm  # type: ignore[attr-defined]
    accounts, whom = form.narrowed(Account.objects.for_user(request.user, "report.view"), firm)
    title = f"Taxes saved — {whom or firm.name}"
    total = accounts.count()
    if total > LIVE_LIMIT and not request.GET.get("format"):
        return render(request, "reports/taxes_saved_background.html", {
            "title": title, "form": form, "total": total, "limit": LIVE_LIMIT,
            "may_run": can(request.user, "report.run"),
            "latest": ReportRun.objects.for_user(request.user, "report.run")
            .filter(status=ReportRun.Status.DONE).defer("pdf", "csv", "partial").first()
            if can(request.user, "report.run") else None})
    report = taxes_saved_report(accounts=accounts, start=start, end=end)
    download = _download(request, report, f"taxes_saved_{firm.code}", title=title)
    if download is not None:
        return download
    page = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "reports/taxes_saved.html", {
        **taxes_saved_context(report, firm=firm, title=title), "form": form, "page": page,
        "query": query.urlencode(), "may_run": can(request.user, "report.run")})


@firm_page("report.view")
def taxes_saved_account_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "report.view", pk=pk)
    form = PeriodForm(request.GET)
    start, end = form.period()
    report = taxes_saved_report(accounts=Account.objects.filter(pk=account.pk), start=start,
                                end=end)
    title = f"Taxes saved — {account.account_number} {account.name}"
    charts = account_charts(account=account, start=start, end=end)
    download = _download(request, report, f"taxes_saved_{account.account_number}", title=title,
                         account=account, charts=charts)
    if download is not None:
        return download
    query = request.GET.copy()
    return render(request, "reports/taxes_saved_account.html", {
        **taxes_saved_context(report, firm=request.firm, title=title),  # type: ignore[attr-defined]
        "form": form, "account": account, "row": report.rows[0], "query": query.urlencode(),
        "charts": charts})
