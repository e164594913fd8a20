"""The schedule starts a firm's run once; the sweeper re-queues chunks no worker holds and
alerts once on a missed deadline; a failing stage stops the run with the reason and an alert."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from models_hub.models import FeeAccrual, ModelSubscription
from models_hub.services import billing_statement_issue
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Alert
from tests.workflow.factories import BUSINESS_DATE, demo_feeds, nightly_firm
from workflow.models import NightlyPolicy, NightlyRun, RunAccount, RunChunk, RunStage
from workflow.services.nightly import (
    nightly_run_advance,
    nightly_run_due_start,
    nightly_run_inline,
    nightly_run_resume,
    nightly_run_start,
    nightly_runs_sweep,
    nightly_tick,
)

pytestmark = pytest.mark.django_db
# Wednesday 25 November 2026, 07:00 in New York: the cycle for the 24th is due.
DUE = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    return demo_feeds(tmp_path_factory.mktemp("lifecycle") / "feeds", accounts=12, seed=3)


@pytest.fixture
def firm(feeds):
    firm, _ = nightly_firm("LIFECYCLE", feeds)
    with firm_context(firm), audit_context(system_job="tests"):
        NightlyPolicy.objects.create(start_time=time(6, 30), deadline_time=time(8, 30),
                                     chunk_size=3)
    return firm


def test_the_schedule_starts_the_run_once_on_business_days_only(firm):
    with firm_context(firm), audit_context(system_job="tests"):
        assert nightly_run_due_start(now=DUE - timedelta(hours=1)) is None  # 06:00, too early
        run = nightly_run_due_start(now=DUE)
        assert (run.business_date, run.trigger) == (BUSINESS_DATE, "schedule")
        assert run.deadline == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
        assert nightly_run_due_start(now=DUE + timedelta(minutes=5)) is None
        assert nightly_run_due_start(now=DUE + timedelta(days=1)) is None  # Thanksgiving
        policy = NightlyPolicy.objects.get()
        policy.is_active = False
        policy.save()
        assert nightly_run_due_start(now=DUE + timedelta(days=2)) is None  # switched off
        assert NightlyRun.objects.count() == 1


def test_a_missing_run_is_alerted_once_after_the_deadline(firm):
    after_deadline = DUE + timedelta(hours=2)  # 09:00 in New York
    with firm_context(firm), audit_context(system_job="tests"):
        assert nightly_tick(now=DUE - timedelta(hours=1)).missing_alerted is False  # 06:00
        assert nightly_tick(now=after_deadline).missing_alerted is True
        assert nightly_tick(now=after_deadline + timedelta(minutes=1)).missing_alerted is False
        alert = Alert.objects.get(kind="nightly_run_missing")
        assert NightlyRun.objects.count() == 0  # past the deadline, nothing is started late
    assert alert.subject == "Nightly run 2026-11-24" and alert.occurrences == 1
    assert "by its deadline 08:30 EST" in alert.message


def _until_analyze_waits(run):
    for _ in range(10):
        if nightly_run_advance(run_id=run.pk).state == "waiting":
            return
    raise AssertionError("the analyze stage never started")


def test_the_sweeper_requeues_chunks_no_worker_holds_and_alerts_once_when_late(firm):
    with firm_context(firm), audit_context(system_job="tests"):
        run, _ = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
        _until_analyze_waits(run)
        chunks = list(RunChunk.objects.filter(run=run))
        assert len(chunks) >= 2
        queued_at = chunks[0].queued_at
        NightlyRun.objects.filter(pk=run.pk).update(deadline=queued_at + timedelta(minutes=30))
        # Neither stalled nor late yet: nothing happens.
        fresh = nightly_runs_sweep(now=queued_at + timedelta(minutes=1),
                                   stall_after=timedelta(minutes=15))
        assert (fresh.chunks_requeued, fresh.late_alerts) == (0, 0)
        # Past the stall time and the deadline.
        late = queued_at + timedelta(hours=1)
        swept = nightly_runs_sweep(now=late, stall_after=timedelta(minutes=15))
        assert (swept.runs, swept.chunks_requeued, swept.late_alerts) == (1, len(chunks), 1)
        assert set(RunChunk.objects.filter(run=run).values_list("times_queued", flat=True)) \
            == {2}
        again = nightly_runs_sweep(now=late + timedelta(minutes=1),
                                   stall_after=timedelta(minutes=15))
        assert again.late_alerts == 0
        alert = Alert.objects.get(kind="nightly_run_late")
        assert alert.occurrences == 1
        assert "has not finished by its deadline" in alert.message
        assert sorted(alert.roles) == ["management", "overlay_manager"]
        # The run then completes as usual.
        finished = nightly_run_inline(run=run)
        assert finished.status in ("succeeded", "succeeded_with_failures")
        assert RunAccount.objects.filter(run=run).count() == sum(
            len(c.account_ids) for c in chunks) + RunAccount.objects.filter(
            run=run, status="skipped").count()


def test_a_failing_stage_stops_the_run_with_its_reason_and_an_alert(firm):
    with firm_context(firm), audit_context(system_job="tests"):
        # The day's fees are already billed: the fee stage must refuse to replace them.
        subscription = ModelSubscription.objects.filter(status="active").first()
        assert subscription is not None, "the demo model book subscribes to a provider"
        FeeAccrual.objects.create(subscription=subscription, accrual_date=BUSINESS_DATE,
                                  market_value=Decimal(1000), account_count=1,
                                  annual_fee=Decimal(3), amount=Decimal("0.01"))
        billing_statement_issue(provider=subscription.provider, year=2026, month=11,
                                system_job="tests")
        run, _ = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
        run = nightly_run_inline(run=run)
        stages = dict(RunStage.objects.filter(run=run).values_list("stage", "status"))
        fees = RunStage.objects.get(run=run, stage="fees")
        alert = Alert.objects.get(kind="nightly_run_failed")
    assert run.status == "failed" and run.finished_at is not None
    assert "already on a billing statement" in fees.note
    assert run.error == f"Accrue model-hub fees failed: {fees.note}"
    assert stages["analyze"] == "succeeded"
    assert (stages["fees"], stages["sort"], stages["notify"]) == ("failed", "pending", "pending")
    assert alert.severity == "critical" and alert.message == run.error
    assert timezone.now() >= run.finished_at
    # Resumed, it runs from the failed stage only (and fails there again: still billed).
    with firm_context(firm), audit_context(system_job="tests"):
        analyzed_before = RunStage.objects.get(run=run, stage="analyze").finished_at
        assert nightly_run_resume(run=run, reason="tests") is True
        run = nightly_run_inline(run=run)
        assert nightly_run_resume(run=run, reason="tests") is True
        assert RunStage.objects.get(run=run, stage="analyze").finished_at == analyzed_before
        assert RunStage.objects.get(run=run, stage="fees").status == "pending"
        assert Alert.objects.get(kind="nightly_run_failed").occurrences == 2
