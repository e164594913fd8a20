"""Firm taxes-saved reports generated in the background, in chunks of accounts so that the
run row shows the progress of a large firm: each chunk is its own task and transaction,
appends its CSV rows, PDF lines and totals (firm, advisors, teams) to the run, and queues the
next; the last prints the PDF. Requested on demand (`report_run_request`) and monthly for the
previous month.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from rebal.chunked_jobs import job_chunk_continue
from rebal.firm_context import require_firm
from reports.models import ReportRun
from reports.taxes_saved_exports import account_line, taxes_saved_csv, taxes_saved_pdf
from reports.taxes_saved_report import TaxesSavedReport, Totals, months_of, taxes_saved_report

CHUNK = 2000
MONEY_FIELDS = [f.name for f in fields(Totals) if f.name not in ("name", "accounts")]


def _enqueue(run: ReportRun, offset: int) -> None:
    from reports import tasks

    firm_id, run_id = run.firm_id, run.pk
    transaction.on_commit(lambda: tasks.report_run_chunk_task.delay(
        firm_id=firm_id, run_id=run_id, offset=offset))


def report_run_request(*, start: date, end: date, acting_user: Any) -> ReportRun:
    """Queue the firm's report for start..end (acting_user None: the monthly schedule)."""
    require_firm()
    run = ReportRun.objects.create(start=start, end=end, requested_by=acting_user,
                                   accounts_total=Account.objects.count())
    _enqueue(run, 0)
    return run


def previous_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def monthly_report_request(*, today: date) -> ReportRun | None:
    """The schedule's report of the previous month, once."""
    start, end = previous_month(today)
    if ReportRun.objects.filter(start=start, end=end, requested_by__isnull=True).exists():
        return None
    return report_run_request(start=start, end=end, acting_user=None)


def _totals(data: dict[str, Any]) -> Totals:
    return Totals(name=data["name"], accounts=data["accounts"],
                  **{name: Decimal(data[name]) for name in MONEY_FIELDS})


def _merge(into: dict[str, Any], totals: Totals) -> dict[str, Any]:
    merged = _totals(into) if into else Totals(totals.name)
    merged.accounts += totals.accounts
    for name in MONEY_FIELDS:
        setattr(merged, name, getattr(merged, name) + getattr(totals, name))
    return {key: str(value) if isinstance(value, Decimal) else value
            for key, value in asdict(merged).items()}


def report_run_chunk(*, run_id: int, offset: int, chunk: int = CHUNK) -> int | None:
    """Report on the run's accounts offset..offset+chunk (by account number); returns the next
    offset, or None when the run is finished (or was already)."""
    run = ReportRun.objects.select_for_update().get(pk=run_id)
    if run.status in (ReportRun.Status.DONE, ReportRun.Status.FAILED):
        return None
    if offset < run.accounts_done:  # a chunk delivered twice
        return None
    ids = list(Account.objects.order_by("account_number")
               .values_list("pk", flat=True)[offset:offset + chunk])
    report = taxes_saved_report(accounts=Account.objects.filter(pk__in=ids), start=run.start,
                                end=run.end)
    partial = run.partial or {"csv": "", "lines": [], "firm": {}, "advisors": {}, "teams": {}}
    partial["csv"] += taxes_saved_csv(report, header=False)
    partial["lines"] += [account_line(row) for row in report.rows]
    partial["firm"] = _merge(partial["firm"], report.firm)
    for advisor in report.advisors:
        partial["advisors"][advisor.name] = _merge(partial["advisors"].get(advisor.name, {}),
                                                   advisor)
    teams = partial.setdefault("teams", {})
    for team in report.teams:
        teams[team.name] = _merge(teams.get(team.name, {}), team)
    run.partial, run.status = partial, ReportRun.Status.RUNNING
    run.accounts_done = offset + len(ids)
    if len(ids) == chunk and run.accounts_done < Account.objects.count():
        run.save(update_fields=["partial", "status", "accounts_done"])
        return run.accounts_done
    _finish(run)
    return None


def _finish(run: ReportRun) -> None:
    partial = run.partial
    firm = require_firm()
    report = TaxesSavedReport(
        run.start, run.end, [], _totals(partial["firm"]) if partial["firm"] else Totals("Firm"),
        [_totals(partial["advisors"][name]) for name in sorted(partial["advisors"])],
        months_of(Account.objects.values("pk"), run.start, run.end),
        [_totals(partial["teams"][name]) for name in sorted(partial.get("teams", {}))])
    run.pdf = taxes_saved_pdf(report, firm=firm, title=f"Taxes saved — {firm.name}",
                              lines=partial["lines"])
    run.csv = taxes_saved_csv(report) + partial["csv"]
    run.accounts_total = run.accounts_done
    run.partial, run.status, run.finished_at = {}, ReportRun.Status.DONE, timezone.now()
    run.save()


def report_run_continue(*, run_id: int, offset: int) -> None:
    """One chunk, then the next queued; a chunk that raises marks the run failed with the
    error, shown where runs are listed."""
    job_chunk_continue(job_model=ReportRun, job_id=run_id, offset=offset,
                       run_chunk=lambda at: report_run_chunk(run_id=run_id, offset=at),
                       enqueue=_enqueue)
