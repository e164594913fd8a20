"""A five-condition filter, two of its conditions on the latest analysis, counted over a
100,000-account firm as the application role: `./run bench filters [--accounts N] [--rebuild]`.

The firm is built once into a PostgreSQL template database and cloned for each run. It is
light — what a filter reads, written with INSERT … SELECT: households of two, accounts (97%
open, 90% discretionary, a `tier` custom field: 10% Platinum, 30% Gold, the rest Silver), open
data-error holds on 2%, and two nights of analyses per account (before/after metrics with six
asset classes' drift, trade metrics), so "the latest analysis" has to be found.

The run counts the filter five times after a warm-up and reports the median, for the count
query alone and with the checks that precede it (custom-field types), and the plan's shape;
then it sorts a run in which every account was analyzed (`dispositions_assign`, the default
policies: one query per policy, one disposition row per account).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import django_env, in_django, template_clone, template_ensure
from rebal.dbroles import DatabaseUrls

QUERY = {"all": [
    {"field": "status", "op": "eq", "value": "open"},
    {"field": "custom.tier", "op": "in", "value": ["Platinum", "Gold"]},
    {"field": "has_hold", "op": "is", "value": False},
    {"field": "turnover", "op": "gt", "value": 5},
    {"field": "market_value", "op": "lt", "value": 250000},
]}

BUILD = """
import json, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from django.db import connection
from bench.databases import SYNTHETIC_ANALYSES_SQL
from accounts.models import CustomField
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.services import firm_create

started = time.perf_counter()
firm = firm_create(code="BENCH", name="Benchmark", timezone_name="America/New_York",
                   admin_email="bench@rebal.test", system_job="bench").firm
N = ACCOUNTS
with firm_context(firm), audit_context(system_job="bench"):
    CustomField.objects.create(name="tier", field_type="text")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_household (firm_id, code, name) "
            "SELECT %s, 'HH' || g, 'Household ' || g FROM generate_series(1, %s) g",
            [firm.pk, N // 2])
        cursor.execute(
            "INSERT INTO accounts_account (firm_id, account_number, name, household_id, status,"
            " registration, tax_status, discretionary, approved_for_trading, advisor_email,"
            " program_code, custom_fields) "
            "SELECT %s, 'A' || lpad(g::text, 7, '0'), 'Account ' || g, h.id,"
            " CASE WHEN g %% 100 < 97 THEN 'open' WHEN g %% 100 < 99 THEN 'pending_close'"
            " ELSE 'closed' END, 'individual', 'taxable', g %% 10 <> 0, true, '', 'BAL60',"
            " jsonb_build_object('tier', CASE WHEN g %% 10 = 1 THEN 'Platinum'"
            " WHEN g %% 10 < 5 THEN 'Gold' ELSE 'Silver' END) "
            "FROM generate_series(1, %s) g "
            "JOIN accounts_household h ON h.firm_id = %s AND h.code = 'HH' || ((g + 1) / 2)",
            [firm.pk, N, firm.pk])
        cursor.execute(
            "INSERT INTO accounts_accounthold (firm_id, account_id, kind, reason, source,"
            " created_at, cleared_reason) "
            "SELECT firm_id, id, 'data_error', 'bench: bad lot row', 'feed:tax_lots', now(), ''"
            " FROM accounts_account WHERE firm_id = %s AND id %% 50 = 0", [firm.pk])
        for day in ("2026-11-23", "2026-11-24"):
            cursor.execute(SYNTHETIC_ANALYSES_SQL, [day, firm.pk])
print(json.dumps({"accounts": N, "seconds": round(time.perf_counter() - started, 1)}))
"""

RUN = """
import json, statistics, time
from datetime import date
import django
django.setup()
from django.db import connection
from rebal.firm_context import firm_context
from rebal.models import Firm
from workflow.filters import FilterCompiler

QUERY = QUERY_JSON
firm = Firm.objects.get(code="BENCH")
as_of = date(2026, 11, 24)
out = {}
with firm_context(firm):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, (SELECT rolbypassrls OR rolsuper FROM pg_roles"
                       " WHERE rolname = current_user)")
        out["role"], out["bypasses_rls"] = cursor.fetchone()
    def compiled():
        return FilterCompiler(firm_id=firm.pk, as_of=as_of).accounts(QUERY)
    queryset = compiled()
    out["count"] = queryset.count()  # warm-up
    count_ms, total_ms = [], []
    for _ in range(5):
        started = time.perf_counter()
        queryset = compiled()
        checked = time.perf_counter()
        queryset.count()
        done = time.perf_counter()
        count_ms.append((done - checked) * 1000)
        total_ms.append((done - started) * 1000)
    out["count_ms"] = round(statistics.median(count_ms), 1)
    out["with_checks_ms"] = round(statistics.median(total_ms), 1)
    sql, params = compiled().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM (" + sql + ") q",
                       params)
        plan = cursor.fetchone()[0][0]
    nodes = []
    def walk(node):
        nodes.append(node["Node Type"] + (" on " + node["Relation Name"]
                                          if "Relation Name" in node else "")
                     + (" using " + node["Index Name"] if "Index Name" in node else ""))
        for child in node.get("Plans", []):
            walk(child)
    walk(plan["Plan"])
    out["plan"] = nodes
    out["explain_ms"] = plan["Execution Time"]

# Sorting a run: every account analyzed, the default policies (seeded on first use).
from workflow.models import NightlyRun
from workflow.services.dispositions import dispositions_assign
with firm_context(firm):
    run = NightlyRun.objects.create(business_date=as_of, trigger="bench")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflow_runaccount (firm_id, run_id, account_id, status, reason,"
            " analysis_id) SELECT l.firm_id, %s, l.account_id, 'analyzed', '', l.analysis_id"
            " FROM workflow_latestanalysis l WHERE l.firm_id = %s", [run.pk, firm.pk])
with firm_context(firm):
    started = time.perf_counter()
    out["sorted"] = dispositions_assign(run_id=run.pk, as_of=as_of)
    out["sort_seconds"] = round(time.perf_counter() - started, 1)
print(json.dumps(out, default=str))
"""


def main() -> None:
    import json

    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_filters_{args.accounts}a"

    def build(urls: DatabaseUrls) -> None:
        built = in_django(django_env(urls, owner=True),
                          BUILD.replace("ACCOUNTS", str(args.accounts)))
        print(f"{built['accounts']:,} accounts with two nights of analyses in "
              f"{built['seconds']} s")

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        result = in_django(django_env(urls),
                           RUN.replace("QUERY_JSON", repr(json.loads(json.dumps(QUERY)))))
    print(f"filter of five conditions (two on the latest analysis) over {args.accounts:,} "
          f"accounts as {result['role']} (bypasses RLS: {result['bypasses_rls']}): "
          f"{result['count']:,} accounts; count {result['count_ms']} ms (median of 5), "
          f"{result['with_checks_ms']} ms with the query's checks; EXPLAIN ANALYZE "
          f"{result['explain_ms']:.1f} ms")
    print("plan:", " > ".join(result["plan"]))  # type: ignore[arg-type]
    print(f"sorting the run (default policies, every account analyzed): "
          f"{result['sort_seconds']} s — {result['sorted']}")


if __name__ == "__main__":
    main()
