"""A small firm for the nightly cycle: the demo book generated and loaded from its feeds."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from django.core.management import call_command

from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure

BUSINESS_DATE = date(2026, 11, 24)  # a Tuesday; its cycle runs on Wednesday the 25th


def demo_feeds(folder: Path, *, accounts: int = 60, seed: int = 7) -> Path:
    call_command("make_demo_feeds", str(folder), "--accounts", str(accounts), "--seed",
                 str(seed), "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    return folder


def nightly_firm(code: str, folder: Path):
    """A firm with the demo people, the book in `folder` loaded, and the demo model book."""
    firm, users = demo_firm_ensure(code=code)
    call_command("load_feeds", "--firm", firm.code, str(folder), stdout=io.StringIO())
    model_book_ensure(firm=firm)
    return firm, users


def nightly_run_row(personas):
    """A finished run of the persona's firm with one failed account (for page and isolation
    tests; no analysis is run)."""
    from django.utils import timezone

    from rebal.firm_context import firm_context
    from workflow.models import NightlyRun, RunAccount, RunStage
    from workflow.models.nightly import STAGE_ORDER

    with firm_context(personas.firm):
        run = NightlyRun.objects.create(business_date=BUSINESS_DATE, trigger="tests",
                                        status=NightlyRun.Status.SUCCEEDED_WITH_FAILURES,
                                        finished_at=timezone.now())
        RunStage.objects.bulk_create([
            RunStage(firm=personas.firm, run=run, stage=stage, position=position,
                     status=RunStage.Status.SUCCEEDED, counts={"accounts": 2})
            for position, stage in enumerate(STAGE_ORDER, start=1)])
        RunAccount.objects.create(run=run, account=personas.account, status="failed",
                                  reason=f"{personas.firm.code} solver gave up")
    return run
