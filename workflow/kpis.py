"""Management's KPIs: per nightly run, advisor and team, the accounts analyzed, auto-traded,
reviewed, suspended, and overdue (in review, their batch still undecided after the run's date) —
read from the runs' KPI summaries, a handful of small queries whatever the book's size. An account's
team is its advisor's (`rebal.selectors.team_by_email`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef

from rebal.firm_context import require_firm
from rebal.selectors import team_by_email
from workflow.models import (
    AccountDisposition,
    BatchStatus,
    Disposition,
    NightlyRun,
    RunAccount,
    RunKpi,
    TradeBatch,
)
from workflow.services.kpi_summary import run_kpis_write

MEASURES = ("analyzed", "auto_traded", "reviewed", "suspended", "overdue")
LABELS = {"analyzed": "Analyzed", "auto_traded": "Auto-traded", "reviewed": "Reviewed",
          "suspended": "Suspended", "overdue": "Overdue"}
UNDECIDED = (BatchStatus.PROPOSED, BatchStatus.PENDING_REVIEW)
NO_ADVISOR = "(no advisor)"
NO_TEAM = "(no team)"


@dataclass
class Counts:
    """The five measures of one run (or of one advisor over the period)."""

    analyzed: int = 0
    auto_traded: int = 0
    reviewed: int = 0
    suspended: int = 0
    overdue: int = 0

    def add(self, measure: str, n: int) -> None:
        setattr(self, measure, getattr(self, measure) + n)


@dataclass
class ProgramKpis:
    """Per business date (oldest first), per advisor and per team over the period."""

    dates: list[date] = field(default_factory=list)
    by_date: dict[date, Counts] = field(default_factory=dict)
    by_advisor: dict[str, Counts] = field(default_factory=dict)
    advisors: list[str] = field(default_factory=list)  # every advisor of the period
    by_team: dict[str, Counts] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)  # every team of the period, if any
    # team → business date → counts, for a chart of the teams over time
    by_team_date: dict[str, dict[date, Counts]] = field(default_factory=dict)


def program_kpis(*, since: date, today: date, advisor: str = "",
                 team: str = "") -> ProgramKpis:
    """The runs of business dates from `since`; `advisor` (an e-mail, or NO_ADVISOR) or
    `team` (a name, or NO_TEAM) narrows the per-date figures to those accounts.

    A sorted run's counts are its summary (workflow.models.RunKpi, written when it was sorted;
    a run sorted before summaries existed is summarized here, once); a run not yet sorted
    counts its analyzed accounts live; overdue is the run's reviewed accounts while a review
    batch of a past run is undecided."""
    runs = list(NightlyRun.objects.filter(business_date__gte=since).annotate(
        sorted=Exists(AccountDisposition.objects.filter(run=OuterRef("pk"))),
        summarized=Exists(RunKpi.objects.filter(run=OuterRef("pk"))))
        .values_list("pk", "sorted", "summarized").order_by())
    run_kpis_write(run_ids=[pk for pk, done, summarized in runs if done and not summarized])
    unsorted = [pk for pk, done, _ in runs if not done]
    waiting = TradeBatch.objects.filter(run=OuterRef("pk"), disposition=Disposition.REVIEW,
                                        status__in=UNDECIDED)
    overdue_runs = set(NightlyRun.objects.filter(business_date__gte=since,
                                                 business_date__lt=today)
                       .filter(Exists(waiting)).values_list("pk", flat=True))
    rows: list[tuple[date, str, str, int]] = []  # (date, advisor, measure, n)
    for run_id, day, email, measure, n in (
            RunKpi.objects.filter(run__business_date__gte=since)
            .values_list("run_id", "run__business_date", "advisor_email", "measure", "count")):
        rows.append((day, email or NO_ADVISOR, measure, n))
        if measure == "reviewed" and run_id in overdue_runs:
            rows.append((day, email or NO_ADVISOR, "overdue", n))
    if unsorted:
        for day, email, n in (RunAccount.objects
                              .filter(run_id__in=unsorted, status=RunAccount.Status.ANALYZED)
                              .values_list("run__business_date", "account__advisor_email")
                              .annotate(n=Count("pk")).order_by()):
            rows.append((day, email or NO_ADVISOR, "analyzed", n))
    team_of = team_by_email(require_firm())
    kpis = ProgramKpis()
    by_date: dict[date, Counts] = defaultdict(Counts)
    by_advisor: dict[str, Counts] = defaultdict(Counts)
    by_team: dict[str, Counts] = defaultdict(Counts)
    by_team_date: dict[str, dict[date, Counts]] = defaultdict(lambda: defaultdict(Counts))
    for day, email, measure, n in rows:
        account_team = team_of.get(email.lower(), NO_TEAM)
        by_advisor[email].add(measure, n)
        by_team[account_team].add(measure, n)
        by_team_date[account_team][day].add(measure, n)
        if (not advisor or email == advisor) and (not team or account_team == team):
            by_date[day].add(measure, n)
    kpis.dates = sorted({day for day, *_ in rows})
    kpis.by_date = {day: by_date[day] for day in kpis.dates}
    kpis.advisors = sorted(by_advisor)
    kpis.by_advisor = {email: by_advisor[email] for email in kpis.advisors}
    if team_of:
        kpis.teams = sorted(by_team)
        kpis.by_team = {name: by_team[name] for name in kpis.teams}
        kpis.by_team_date = {name: {day: by_team_date[name][day] for day in kpis.dates}
                             for name in kpis.teams}
    return kpis
