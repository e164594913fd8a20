"""Management's KPI page: the program over time (a line chart of the five measures per nightly
run, for everyone, an advisor or a team), by advisor and by team over the period (with a chart
of each team's accounts analyzed and overdue per run)."""

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
TEAM_CHARTS = ("analyzed", "overdue")


@firm_page("kpi.view")
def kpi_page(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(ZoneInfo(request.firm.timezone)).date()  # type: ignore[attr-defined]
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    advisor = request.GET.get("advisor", "")
    team = request.GET.get("team", "")
    kpis = program_kpis(since=today - timedelta(days=days), today=today, advisor=advisor,
                        team=team)
    series = [LineSeries(LABELS[m], [getattr(kpis.by_date[d], m) for d in kpis.dates])
              for m in MEASURES]
    who = " and ".join(filter(None, [advisor, team and f"team {team}"])) or "every advisor"
    labels = [f"{d:%m-%d}" for d in kpis.dates]
    chart = svg(line_chart_svg(labels, series,
                               title=f"Accounts per nightly run, last {days} days, {who}"))
    team_charts = [(f"{LABELS[measure]} per nightly run, by team", svg(line_chart_svg(labels, [
        LineSeries(name, [getattr(kpis.by_team_date[name][d], measure) for d in kpis.dates])
        for name in kpis.teams], title=f"{LABELS[measure]} per nightly run, by team")))
        for measure in TEAM_CHARTS] if kpis.teams else []
    return render(request, "workflow/kpis.html", {
        "kpis": kpis, "chart": chart, "days": days, "periods": PERIODS, "advisor": advisor,
        "team": team, "team_charts": team_charts,
        "measures": [(m, LABELS[m]) for m in MEASURES],
        "rows": [(d, kpis.by_date[d]) for d in reversed(kpis.dates)],
    })


def svg(markup: str) -> str:
    """A chart from rebal.charts, which escapes every text it draws."""
    return mark_safe(markup)  # noqa: S308  # nosec B308 B703
