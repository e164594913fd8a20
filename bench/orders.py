"""10,000 released orders pulled through the OMS API by an orders:read token, as the
application role: `./run bench orders [--orders N] [--rebuild]`.

The firm is built once into a PostgreSQL template database and cloned for each run: one
account per order, each holding one lot of 100 IBM and an analysis proposing to sell it, one
approved batch of all the trades, released as one order each (with its lot instruction) by
`batch_release` itself. The run pulls `GET /api/v1/orders/?status=released` page by page
(limit 1000, as an OMS would, through Django's WSGI handler in-process: no network) and reports
the total time, the pages and the orders received; the release is timed as well.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import django_env, in_django, template_clone, template_ensure
from rebal.dbroles import DatabaseUrls

BUILD = """
import json, time
from datetime import date
from decimal import Decimal
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from accounts.models import Account, CashBalance, Household, LotSet, TaxLot
from dataops.models import FeedFile, Security
from optimizer.models import Analysis, ProposedTrade
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context
from rebal.services import firm_create
from workflow.models import BatchTrade, NightlyRun, TradeBatch
from workflow.services.batch_totals import batch_totals_refresh

started = time.perf_counter()
firm = firm_create(code="BENCH", name="Benchmark", timezone_name="America/New_York",
                   admin_email="bench@rebal.test", system_job="bench").firm
N = ORDERS
day = date(2026, 11, 24)
with firm_context(firm), audit_context(system_job="bench"):
    security = Security.objects.create(name="International Business Machines", ticker="IBM",
                                       cusip="459200101")
    households = bulk_create_audited(Household, [
        Household(firm=firm, code=f"HH{i}", name=f"Household {i}") for i in range(N)])
    accounts = bulk_create_audited(Account, [
        Account(firm=firm, account_number=f"A{i:07d}", name=f"Account {i}", household=h)
        for i, h in enumerate(households)])
    # Each account holds the lot its order sells (the release checks it exists).
    lot_file = FeedFile.objects.create(
        name="tax_lots_20261124.csv", feed="tax_lots", business_date=day, seq=1,
        checksum="0" * 64, size=1, status="loaded", door="inbox", delivered_by="bench")
    lot_sets = LotSet.objects.bulk_create([LotSet(
        firm=firm, account=a, business_date=day, feed_file=lot_file, lot_count=1)
        for a in accounts], batch_size=2000)
    TaxLot.objects.bulk_create([TaxLot(
        firm=firm, lot_set=s, account_id=s.account_id, security=security, lot_id="L1",
        quantity=Decimal(100), cost_basis=Decimal(15000), acquired_date=date(2024, 1, 2))
        for s in lot_sets], batch_size=2000)
    CashBalance.objects.bulk_create([CashBalance(
        firm=firm, account=a, business_date=day, feed_file=lot_file, cash=Decimal(0))
        for a in accounts], batch_size=2000)
    analyses = Analysis.objects.bulk_create([Analysis(
        firm=firm, account=a, trade_date=day, status="optimal", summary="", before={},
        after={}, trade_metrics={}, calibration={}, solver={}) for a in accounts],
        batch_size=2000)
    lots = [{"lot_id": "L1", "acquired": "2024-01-02", "shares": "100"}]
    proposed = ProposedTrade.objects.bulk_create([ProposedTrade(
        firm=firm, analysis=a, security=security, side="sell", shares=Decimal(100),
        price=Decimal(200), value=Decimal(20000), lots=lots, realized_gain=Decimal(0),
        estimated_tax=Decimal(0), explanation="bench") for a in analyses], batch_size=2000)
    run = NightlyRun.objects.create(business_date=day, trigger="bench", status="succeeded")
    batch = TradeBatch.objects.create(run=run, disposition="review", status="approved")
    bulk_create_audited(BatchTrade, [BatchTrade(
        firm=firm, batch=batch, account_id=t.analysis.account_id, analysis=t.analysis,
        proposed_trade=t, security=security, side="sell", shares=t.shares, price=t.price,
        lots=lots, discretionary=True) for t in proposed], batch_size=2000)
    batch_totals_refresh(batch)
print(json.dumps({"orders": N, "seconds": round(time.perf_counter() - started, 1)}))
"""

RUN = """
import json, time
import django
django.setup()
from django.db import connection
from django.test import Client
from rebal.firm_context import firm_context
from rebal.models import Firm, User
from rebal.services import api_token_create
from workflow.models import TradeBatch
from workflow.services.release import batch_release

firm = Firm.objects.get(code="BENCH")
admin = User.objects.get(email="bench@rebal.test")
out = {}
with firm_context(firm):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, (SELECT rolbypassrls OR rolsuper FROM pg_roles"
                       " WHERE rolname = current_user)")
        out["role"], out["bypasses_rls"] = cursor.fetchone()
    # The release is done by the application too (its checks and one order per trade).
    started = time.perf_counter()
    released = batch_release(batch=TradeBatch.objects.get(), acting_user=admin)
    out["release_seconds"] = round(time.perf_counter() - started, 1)
    out["released"] = len(released)
    token = api_token_create(name="OMS", scopes=["orders:read"], acting_user=admin).value
client = Client(HTTP_AUTHORIZATION=f"Token {token}")
# One small request first, as a running OMS would have made before (imports, connections).
client.get("/api/v1/orders/?status=released&limit=1")
started = time.perf_counter()
url, pages, received, ids = "/api/v1/orders/?status=released&limit=1000", 0, 0, set()
while url:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    pages += 1
    received += len(body["results"])
    ids.update(row["client_order_id"] for row in body["results"])
    url = body["next"]
out["pull_seconds"] = round(time.perf_counter() - started, 2)
out["pages"], out["received"], out["distinct"] = pages, received, len(ids)
print(json.dumps(out, default=str))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_orders_{args.orders}o"

    def build(urls: DatabaseUrls) -> None:
        built = in_django(django_env(urls, owner=True),
                          BUILD.replace("ORDERS", str(args.orders)))
        print(f"{built['orders']:,} approved trades in {built['seconds']} s")

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        result = in_django(django_env(urls), RUN)
    print(f"released {result['released']:,} orders in {result['release_seconds']} s as "
          f"{result['role']} (bypasses RLS: {result['bypasses_rls']})")
    print(f"pulled {result['received']:,} released orders ({result['distinct']:,} distinct "
          f"client order ids) in {result['pages']} pages through the API in "
          f"{result['pull_seconds']} s")


if __name__ == "__main__":
    main()
