from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm
from workflow.models import NightlyRun
from workflow.selectors import run_progress, stage_summary
from workflow.services.nightly import nightly_run_resume, nightly_run_start


class Command(BaseCommand):
    help = ("Run one firm's nightly cycle for a business date through the Celery workers (once: "
            "an existing run is reported, not repeated, except that a failed run resumes from "
            "its failed stage); --wait follows it to the end and exits non-zero if it failed.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="CODE")
        parser.add_argument("--date", required=True, type=date.fromisoformat,
                            metavar="YYYY-MM-DD")
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--timeout", type=float, default=3600, metavar="SECONDS")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper(), is_active=True).first()
        if firm is None:
            raise CommandError(f"No active firm with code {options['firm']!r}.")
        with firm_context(firm), audit_context(system_job="run_nightly"):
            run, created = nightly_run_start(business_date=options["date"],
                                             trigger="command run_nightly")
            resumed = not created and nightly_run_resume(run=run, reason="run_nightly again")
        state = "Started" if created else "Resumed" if resumed else "Already exists:"
        self.stdout.write(f"{state} nightly run {run.pk} for {firm.code} "
                          f"{run.business_date:%Y-%m-%d}")
        deadline = time.monotonic() + options["timeout"]
        while options["wait"] and time.monotonic() < deadline:
            with firm_context(firm):
                if NightlyRun.objects.get(pk=run.pk).is_finished:
                    break
            time.sleep(1)
        with firm_context(firm):
            progress = run_progress(NightlyRun.objects.select_related("firm").get(pk=run.pk))
        self.stdout.write("\n".join(stage_summary(progress)))
        if options["wait"] and not progress.run.is_finished:
            raise CommandError(f"The run did not finish within {options['timeout']:.0f}s.")
        if progress.run.status == NightlyRun.Status.FAILED:
            raise CommandError("The run failed.")
