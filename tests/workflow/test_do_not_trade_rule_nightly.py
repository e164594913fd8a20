"""End to end: a settings rule "all accounts: do not trade X" with two exemptions, then a
nightly run — its analyses propose no buy or sell of X for any other account, and the batches
the sort stage makes hold none either. The demo book has no IBM, so X is the security most of
its accounts hold (the rule has the most to stop)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from accounts.models import TaxLot
from dataops.models import Security
from optimizer.models import ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import User
from tests.workflow.factories import BUSINESS_DATE, demo_feeds, nightly_firm
from workflow.models import BatchTrade, RunAccount, TradeBatch
from workflow.services.nightly import nightly_run_inline, nightly_run_start
from workflow.services.settings_rules import settings_rule_apply

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    return demo_feeds(tmp_path_factory.mktemp("no-trade") / "feeds", accounts=30, seed=11)


def test_do_not_trade_with_two_exemptions_then_the_nightly_run(feeds):
    firm, _ = nightly_firm("NOTRADE", feeds)
    with firm_context(firm):
        holders = Counter(dict(TaxLot.objects.values("security_id").annotate(
            n=Count("account_id", distinct=True)).values_list("security_id", "n")))
        security = Security.objects.get(pk=holders.most_common(1)[0][0])
        holding = sorted(set(TaxLot.objects.filter(security=security)
                             .values_list("account_id", flat=True)))
        exempt = {holding[0]: "legacy position managed by hand",
                  holding[1]: "client is an employee: trading windows"}
        overlay = User.objects.filter(memberships__roles__contains=["overlay_manager"]).first()
        settings_rule_apply(name="No trading in the house's restricted name",
                            query={"all": []}, changes={"do_not_trade": [security.ticker]},
                            exemptions=exempt, reason="house view: restricted",
                            acting_user=overlay)
        with audit_context(system_job="tests"):
            run, _ = nightly_run_start(business_date=BUSINESS_DATE, trigger="tests")
            run = nightly_run_inline(run=run)
        analyzed = set(RunAccount.objects.filter(run=run, status="analyzed")
                       .values_list("account_id", flat=True))
        trades = list(ProposedTrade.objects.filter(analysis__in=RunAccount.objects.filter(
            run=run, analysis__isnull=False).values("analysis_id")).values_list(
            "analysis__account_id", "security_id", "side"))
        batched = list(BatchTrade.objects.filter(batch__run=run).values_list(
            "account_id", "security_id"))
        batches = TradeBatch.objects.filter(run=run).count()
    restricted_holders = set(holding) - set(exempt)
    others_trading_it = [(a, side) for a, s, side in trades
                         if s == security.pk and a not in exempt]
    assert len(restricted_holders & analyzed) >= 3, "the rule must have accounts to stop"
    assert trades and batches >= 1, "the run proposed trades and batched them"
    assert others_trading_it == []
    assert not [a for a, s in batched if s == security.pk and a not in exempt]
