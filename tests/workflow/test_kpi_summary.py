"""Management's per-run KPI summary: written when a run is sorted, equal to a live count of the
run's outcomes and dispositions per advisor; a run sorted before summaries existed is
summarized on the first read; overdue stays live."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.workflow.filter_book import AS_OF, filter_book
from tests.workflow.test_dispositions import _run
from tests.workflow.test_kpis import runs  # noqa: F401  (the fixture)
from workflow.kpis import program_kpis
from workflow.models import AccountDisposition, RunAccount, RunKpi, TradeBatch
from workflow.services.dispositions import dispositions_assign
from workflow.services.kpi_summary import DISPOSITION_MEASURE

pytestmark = pytest.mark.django_db


def _live(run) -> Counter:
    counts: Counter = Counter()
    for outcome in RunAccount.objects.filter(run=run, status="analyzed").select_related("account"):
        counts[(outcome.account.advisor_email, "analyzed")] += 1
    for row in AccountDisposition.objects.filter(run=run).select_related("account"):
        counts[(row.account.advisor_email, DISPOSITION_MEASURE[row.disposition])] += 1
    return counts


def _summary(run) -> Counter:
    return Counter({(row.advisor_email, row.measure): row.count
                    for row in RunKpi.objects.filter(run=run)})


def test_sorting_a_run_writes_its_summary_equal_to_a_live_count(alice_firm):
    book = filter_book(alice_firm)
    accounts = list(book.accounts.values())
    with firm_context(book.firm), audit_context(system_job="tests"):
        for n, account in enumerate(accounts):
            account.advisor_email = f"advisor{n % 2}@alice.test" if n % 3 else ""
            account.save()
    run = _run(book.firm, [(a, "skipped" if n == 0 else "analyzed")
                           for n, a in enumerate(accounts)])
    with firm_context(book.firm):
        dispositions_assign(run_id=run.pk, as_of=AS_OF)
        assert _summary(run) == _live(run)
        assert sum(_summary(run).values()) == 2 * len(accounts) - 1
        dispositions_assign(run_id=run.pk, as_of=AS_OF)  # sorted again: replaced, not added
        assert _summary(run) == _live(run)


def test_a_run_sorted_before_summaries_is_summarized_on_first_read(runs):  # noqa: F811
    personas, _, today = runs
    with firm_context(personas.firm), audit_context(system_job="tests"):
        assert not RunKpi.objects.exists()
        before = program_kpis(since=today - timedelta(days=30), today=today)
        yesterday = TradeBatch.objects.get().run
        assert _summary(yesterday) == _live(yesterday)
        assert RunKpi.objects.count() == 6
        again = program_kpis(since=today - timedelta(days=30), today=today)
        assert RunKpi.objects.count() == 6
    assert before == again
    assert before.by_date[yesterday.business_date].overdue == 1
