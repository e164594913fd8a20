"""Background firm reports: the list with each run's progress (polled while running), the
request of a period, and a finished run's PDF and CSV."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from rebal.access import access_object
from rebal.views.base import firm_page
from reports.models import ReportRun
from reports.report_runs import report_run_request
from reports.views_taxes_saved import PeriodForm


@require_http_methods(["GET", "POST"])
@firm_page("report.run")
def report_run_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PeriodForm(request.POST)
        if form.is_valid():
            start, end = form.period()
            report_run_request(start=start, end=end, acting_user=request.user)
            return redirect(reverse("report-run-list"))
    runs = ReportRun.objects.for_user(request.user, "report.run").defer("pdf", "csv",
                                                                        "partial")[:50]
    context = {"runs": runs, "form": PeriodForm(), "polling": any(
        r.status in (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING) for r in runs)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "reports/_report_run_rows.html", context)
    return render(request, "reports/report_runs.html", context)


@firm_page("report.run")
def report_run_file(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    run = access_object(ReportRun, request.user, "report.run", pk=pk,
                        status=ReportRun.Status.DONE)
    name = f"taxes_saved_{run.start:%Y%m%d}_{run.end:%Y%m%d}.{file_format}"
    if file_format == "pdf":
        response = HttpResponse(bytes(run.pdf or b""), content_type="application/pdf")
    else:
        response = HttpResponse(run.csv, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
