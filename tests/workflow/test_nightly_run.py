"""One firm's nightly run driven in this process: every stage recorded, every account with
exactly one outcome, linked households in one chunk, the run unique per firm and date."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Account, AccountHold
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Alert
from tests.workflow.factories import BUSINESS_DATE, demo_feeds, nightly_firm
from workflow.models import AccountDisposition, NightlyRun, RunAccount, RunChunk, RunStage, Stage
from workflow.services.analyze_stage import run_chunk_analyze
from workflow.services.nightly import nightly_run_inline, nightly_run_start

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    return demo_feeds(tmp_path_factory.mktemp("nightly") / "feeds", accounts=40)


@pytest.fixture
def firm(feeds):
    firm, _ = nightly_firm("NIGHTLY", feeds)
    return firm


def _run(firm):
    with firm_context(firm), audit_context(system_job="tests"):
        run, created = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
        assert created
        return nightly_run_inline(run=run)


def test_every_stage_is_recorded_and_every_account_has_one_outcome(firm):
    run = _run(firm)
    with firm_context(firm):
        stages = list(RunStage.objects.filter(run=run).order_by("position"))
        accounts = list(Account.objects.exclude(status=Account.Status.CLOSED))
        outcomes = {o.account_id: o for o in RunAccount.objects.filter(run=run)}
        holds = defaultdict(list)
        for hold in AccountHold.objects.filter(cleared_at__isnull=True):
            holds[hold.account_id].append(hold.reason)
        dispositions = {d.account_id: d for d in AccountDisposition.objects.filter(run=run)}
    assert [s.stage for s in stages] == list(Stage)
    assert all(s.status in ("succeeded", "skipped") for s in stages), \
        [(s.stage, s.status, s.note) for s in stages]
    assert all(s.started_at and s.finished_at >= s.started_at for s in stages)
    assert run.status in ("succeeded", "succeeded_with_failures")
    assert run.finished_at is not None
    # Every account that is not closed: exactly one outcome, skipped exactly when not eligible.
    assert set(outcomes) == {a.pk for a in accounts}
    for account in accounts:
        outcome = outcomes[account.pk]
        eligible = account.status == "open" and not holds[account.pk]
        if eligible:
            assert outcome.status in ("analyzed", "failed")
            assert (outcome.analysis_id is not None) == (outcome.status == "analyzed")
            assert (outcome.reason == "") == (outcome.status == "analyzed")
        else:
            assert outcome.status == "skipped"
            for reason in holds[account.pk]:
                assert reason in outcome.reason
    analyzed = [o for o in outcomes.values() if o.status == "analyzed"]
    assert analyzed, "the demo book has analyzable accounts"
    # Sorted: one disposition per account; those not analyzed are suspended, with why.
    assert set(dispositions) == set(outcomes)
    for outcome in outcomes.values():
        if outcome.status != "analyzed":
            assert dispositions[outcome.account_id].disposition == "suspend"
            assert dispositions[outcome.account_id].rule.startswith(
                f"not analyzed ({outcome.status}): ")
    counts = {s.stage: s.counts for s in stages}
    assert counts["analyze"]["analyzed"] == len(analyzed)
    assert counts["analyze"]["skipped"] == sum(o.status == "skipped" for o in outcomes.values())
    # Where the analysis's time went, per chunk and summed on the stage.
    with firm_context(firm):
        split = list(RunChunk.objects.filter(run=run).values_list(
            "load_seconds", "solve_seconds", "write_seconds", "seconds"))
    assert all(0 < load + solve + write <= seconds for load, solve, write, seconds in split)
    assert counts["analyze"]["solve_seconds"] == round(sum(s for _, s, _, _ in split), 3)
    for disposition in ("suspend", "review", "auto_trade"):
        assert counts["sort"][disposition] == sum(
            d.disposition == disposition for d in dispositions.values())
    assert counts["targets"]["accounts"] == sum(a.status == "open" for a in accounts)
    _assert_linked_households_share_a_chunk(firm, run)
    _assert_failed_accounts_alerted(firm, run)


def _assert_linked_households_share_a_chunk(firm, run):
    with firm_context(firm):
        chunk_of = {}
        for chunk in RunChunk.objects.filter(run=run):
            for account_id in chunk.account_ids:
                assert account_id not in chunk_of, "an account in two chunks"
                chunk_of[account_id] = chunk.pk
        rows = list(Account.objects.filter(pk__in=list(chunk_of))
                    .values_list("pk", "household_id", "tax_entity_id"))
    by_link = defaultdict(set)
    for pk, household, entity in rows:
        by_link[("household", household)].add(chunk_of[pk])
        if entity is not None:
            by_link[("entity", entity)].add(chunk_of[pk])
    assert all(len(chunks) == 1 for chunks in by_link.values())


def test_one_run_per_firm_and_date_enforced_by_the_database(firm):
    with firm_context(firm), audit_context(system_job="tests"):
        run, created = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
        assert created
        again, created = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
        assert (again.pk, created) == (run.pk, False)
        with pytest.raises(IntegrityError), transaction.atomic():
            NightlyRun.objects.create(business_date=BUSINESS_DATE, trigger="sneaky")


def test_a_chunk_analyzed_again_changes_nothing(firm):
    run = _run(firm)
    with firm_context(firm):
        before = list(RunAccount.objects.filter(run=run).order_by("pk").values())
        for chunk_id in RunChunk.objects.filter(run=run).values_list("pk", flat=True):
            RunChunk.objects.filter(pk=chunk_id).update(status="queued")
            result = run_chunk_analyze(chunk_id=chunk_id)
            assert (result.analyzed, result.failed) == (0, 0)
        after = list(RunAccount.objects.filter(run=run).order_by("pk").values())
    assert after == before


def _assert_failed_accounts_alerted(firm, run):
    with firm_context(firm):
        failed = RunAccount.objects.filter(run=run, status="failed").count()
        alerts = list(Alert.objects.filter(kind="accounts_not_analyzed"))
    assert len(alerts) == (1 if failed else 0)
    if failed:
        assert alerts[0].roles == ["overlay_manager"]
        assert str(failed) in alerts[0].message
