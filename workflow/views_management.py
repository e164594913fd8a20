"""Management's dashboard: the latest run's management review list (the accounts a policy put
there, with its rule; searched, filtered by disposition, sorted and paged in the database) and
the program's KPIs over the last 30 days (the latest run's counts, a chart), with links to the
KPIs by advisor and by team."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rebal.charts import LineSeries, line_chart_svg
from rebal.listing import listing
from rebal.views.base import firm_page
from workflow.kpis import LABELS, MEASURES, Counts, program_kpis
from workflow.models import Disposition, OversightList
from workflow.oversight import latest_sorted_run, oversight_accounts, oversight_rule
from workflow.views_kpis import svg

KPI_DAYS = 30
SORTS = {"account": "account__account_number", "name": "account__name",
         "advisor": "account__advisor_email", "disposition": "disposition"}
SEARCH = ("account__account_number", "account__name", "account__advisor_email")


@firm_page("management_list.view")
def management_dashboard(request: HttpRequest) -> HttpResponse:
    run = latest_sorted_run()
    review = oversight_accounts(run=run, oversight_list=OversightList.MANAGEMENT_REVIEW,
                                user=request.user)
    disposition = request.GET.get("disposition", "")
    if disposition in Disposition.values:
        review = review.filter(disposition=disposition)
    shown = listing(request, review, sorts=SORTS, search=SEARCH)
    today = timezone.now().astimezone(ZoneInfo(request.firm.timezone)).date()  # type: ignore[attr-defined]
    kpis = program_kpis(since=today - timedelta(days=KPI_DAYS), today=today)
    latest = kpis.by_date[kpis.dates[-1]] if kpis.dates else Counts()
    chart = svg(line_chart_svg(
        [f"{d:%m-%d}" for d in kpis.dates],
        [LineSeries(LABELS[m], [getattr(kpis.by_date[d], m) for d in kpis.dates])
         for m in MEASURES], title=f"Accounts per nightly run, last {KPI_DAYS} days"))
    return render(request, "workflow/management_dashboard.html", {
        **shown, "run": run, "rows": [(d, oversight_rule(d, OversightList.MANAGEMENT_REVIEW))
                                          for d in shown["page"]],
        "disposition": disposition, "dispositions": Disposition.choices,
        "kpis": kpis, "kpi_days": KPI_DAYS, "chart": chart,
        "latest_date": kpis.dates[-1] if kpis.dates else None,
        "tiles": [(LABELS[m], getattr(latest, m), m == "overdue") for m in MEASURES],
    })
