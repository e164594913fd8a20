"""Write management's per-run KPI summary (workflow.models.RunKpi): each sorted run's counts of
accounts analyzed, auto-traded, reviewed and suspended per advisor, grouped in the database.
Written when a run's accounts get their dispositions (dispositions_assign), and for a run
sorted before the summary existed on the first read that needs it (workflow.kpis)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from rebal.firm_context import require_firm
from workflow.models import AccountDisposition, Disposition, RunAccount, RunKpi

DISPOSITION_MEASURE = {Disposition.AUTO_TRADE: "auto_traded", Disposition.REVIEW: "reviewed",
                       Disposition.SUSPEND: "suspended"}


def run_kpis_write(*, run_ids: Iterable[int]) -> int:
    """Replace the runs' summaries by their live counts; returns the rows written."""
    run_ids = list(run_ids)
    if not run_ids:
        return 0
    firm = require_firm()
    counts: dict[tuple[int, str, str], int] = {}
    for run_id, email, n in (RunAccount.objects
                             .filter(run_id__in=run_ids, status=RunAccount.Status.ANALYZED)
                             .values_list("run_id", "account__advisor_email")
                             .annotate(n=Count("pk")).order_by()):
        counts[(run_id, email, "analyzed")] = n
    for run_id, email, disposition, n in (
            AccountDisposition.objects.filter(run_id__in=run_ids)
            .values_list("run_id", "account__advisor_email", "disposition")
            .annotate(n=Count("pk")).order_by()):
        counts[(run_id, email, DISPOSITION_MEASURE[disposition])] = n
    RunKpi.objects.filter(run_id__in=run_ids).delete()
    rows = RunKpi.objects.bulk_create(
        [RunKpi(firm=firm, run_id=run_id, advisor_email=email, measure=measure, count=n)
         for (run_id, email, measure), n in counts.items()],
        batch_size=2000, ignore_conflicts=True)
    return len(rows)
