"""Management's KPI page: the program over time (a line chart of the five measures per nightly
run) and by advisor over the period."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from rebal.charts import LineSeries, line_chart_svg
from rebal.views.base import firm_page
from workflow.kpis import LABELS, MEASURES, program_kpis

PERIODS = (30, 90, 365)


@firm_page("kpi.view")
def kpi_page(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(ZoneInfo(request.firm.timezone)).date()  # type: ignore[attr-defined]
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    advisor = request.GET.get("advisor", "")
    kpis = program_kpis(since=today - timedelta(days=days), today=today, advisor=advisor)
    series = [LineSeries(LABELS[m], [getattr(kpis.by_date[d], m) for d in kpis.dates])
              for m in MEASURES]
    who = advisor or "every advisor"
    chart = mark_safe(line_chart_svg(  # noqa: S308 (every text escaped)  # nosec B308 B703
        [f"{d:%m-%d}" for d in kpis.dates], series,
        title=f"Accounts per nightly run, last {days} days, {who}"))
    return render(request, "workflow/kpis.html", {
        "kpis": kpis, "chart": chart, "days": days, "periods": PERIODS, "advisor": advisor,
        "measures": [(m, LABELS[m]) for m in MEASURES],
        "rows": [(d, kpis.by_date[d]) for d in reversed(kpis.dates)],
    })
