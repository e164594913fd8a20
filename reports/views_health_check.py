"""Portfolio health check: the accounts' checks on a day with the calls to action and the
responses recorded (page, PDF, CSV), and the form that records a response."""

from __future__ import annotations

import csv
import io
from datetime import date

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from optimizer.models import Analysis
from rebal.access import access_object
from rebal.pdf import pdf_from_html
from rebal.views.base import firm_page
from reports.health_check import AccountHealth, health_check, health_check_respond
from reports.models import HealthCheckResponse
from reports.report_scope import ScopeForm

PAGE_SIZE = 100


class DayForm(ScopeForm):
    day = forms.DateField(label="Date", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    calls_only = forms.BooleanField(label="Calls to action only", required=False)
    field_order = ["day", "advisor", "team", "calls_only"]


class ResponseForm(forms.Form):
    check_date = forms.DateField(widget=forms.HiddenInput)
    failed_check = forms.ChoiceField(choices=HealthCheckResponse.Check.choices)
    action = forms.ChoiceField(choices=HealthCheckResponse.Action.choices)
    note = forms.CharField(max_length=2000)


def health_check_csv(rows: list[AccountHealth], day: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "account_number", "check", "finding", "responded_by",
                     "responded_at", "action", "note"])
    for row in rows:
        for finding in row.findings:
            answers: list[HealthCheckResponse | None] = [
                r for r in row.responses if r.failed_check == finding.check]
            for r in answers or [None]:
                writer.writerow([day, row.account.account_number, finding.check, finding.text,
                                 r.responded_by.email if r else "",
                                 r.created_at.isoformat() if r else "",
                                 r.action if r else "", r.note if r else ""])
    return out.getvalue()


@firm_page("report.view")
def health_check_page(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    accounts, whom = form.narrowed(Account.objects.for_user(request.user, "report.view"),
                                   request.firm)  # type: ignore[attr-defined]
    day = data.get("day") or (Analysis.objects.filter(  # the newest first: an index's first rows
        account__in=accounts.values("pk"), trade_date__lte=timezone.localdate())
        .order_by("-trade_date").values_list("trade_date", flat=True).first()
        or timezone.localdate())
    context = {"day": day, "form": form, "firm": request.firm,  # type: ignore[attr-defined]
               "title": f"Portfolio health check — {day:%Y-%m-%d}"
                        + (f" — {whom}" if whom else ""),
               "query": request.GET.urlencode(), "response_form": ResponseForm()}
    stem = f"health_check_{day:%Y%m%d}"
    if request.GET.get("format") in ("csv", "pdf"):  # the downloads check every account
        rows = health_check(accounts=accounts, day=day)
        calls = [r for r in rows if not r.healthy]
        context |= _counts(rows, checked=len(rows))
        if request.GET.get("format") == "csv":
            response = HttpResponse(health_check_csv(rows, day), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
            return response
        response = HttpResponse(pdf_from_html(render_to_string(
            "reports/health_check_pdf.html", context | {"rows": calls})),
            content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    # The page checks only its own accounts (by account number, PAGE_SIZE a page).
    page = Paginator(accounts.order_by("account_number").only("pk"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = health_check(accounts=Account.objects.filter(pk__in=[a.pk for a in page]), day=day)
    query = request.GET.copy()
    query.pop("page", None)
    context |= _counts(rows, checked=page.paginator.count)
    return render(request, "reports/health_check.html", context | {
        "rows": [r for r in rows if not r.healthy] if data.get("calls_only") else rows,
        "page": page, "keep": query.urlencode()})


def _counts(rows: list[AccountHealth], *, checked: int) -> dict[str, int]:
    calls = [r for r in rows if not r.healthy]
    return {"checked": checked, "calls": len(calls),
            "unanswered": sum(not r.answered for r in calls)}


@require_POST
@firm_page("health_check.respond")
def health_check_respond_page(request: HttpRequest, pk: int) -> HttpResponse:
    account = access_object(Account, request.user, "health_check.respond", pk=pk)
    form = ResponseForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(str(e) for e in errors)}"
                             for field, errors in form.errors.items())
        messages.error(request, f"The response was not recorded: {problems}")
    else:
        health_check_respond(account=account, acting_user=request.user, **form.cleaned_data)
        messages.success(request, f"Response recorded for {account.account_number}.")
    day = form.cleaned_data.get("check_date") if form.is_valid() else None
    return redirect(f"{reverse('health-check')}?day={day or ''}")
