"""Management's KPIs per sorted nightly run, advisor and measure: the run's counts of accounts
analyzed, auto-traded, reviewed and suspended, written once when the run's accounts get their
dispositions (workflow.services.kpi_summary) so the KPI pages read a few rows a run rather
than the run's every account. Overdue is not kept: it depends on batches decided later."""

from __future__ import annotations

from django.db import models

from rebal.models.base import FirmOwnedModel


class RunKpi(FirmOwnedModel):
    """How many of the run's accounts, of one advisor (as the account named them when the run
    was sorted), counted for one measure."""

    run = models.ForeignKey("workflow.NightlyRun", on_delete=models.CASCADE, related_name="+")
    advisor_email = models.CharField(max_length=254, blank=True, default="")
    measure = models.CharField(max_length=20)  # analyzed, auto_traded, reviewed, suspended
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "advisor_email", "measure"],
                                               name="workflow_runkpi_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.advisor_email or '-'} {self.measure}: {self.count}"
