"""A firm's monthly taxes-saved report for 10,000 accounts (the firm PDF with its summary and
per-account table, and the CSV), and one account's PDF, as the application role:
`./run bench reports [--accounts N] [--rebuild]`.

The firm is built once into a PostgreSQL template database (INSERT … SELECT) and cloned for
each run: households of two, 50 advisors, a tax entity per household with its state rates and
filing status, and an analysis per account for every weekday of October 2026 (22 days) with
trade metrics; a third of the days traded and carry the tax-naive shadow.
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
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from django.db import connection
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.services import firm_create

started = time.perf_counter()
firm = firm_create(code="BENCH", name="Benchmark Advisors", timezone_name="America/New_York",
                   admin_email="bench@rebal.test", system_job="bench").firm
N = ACCOUNTS
with firm_context(firm), audit_context(system_job="bench"):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_household (firm_id, code, name) "
            "SELECT %s, 'HH' || g, 'Household ' || g FROM generate_series(1, %s) g",
            [firm.pk, N // 2])
        cursor.execute(
            "INSERT INTO accounts_taxentity (firm_id, code) "
            "SELECT %s, 'TE' || g FROM generate_series(1, %s) g", [firm.pk, N // 2])
        cursor.execute(
            "INSERT INTO accounts_taxentitysettings (firm_id, tax_entity_id, values, updated_at)"
            " SELECT firm_id, id, jsonb_build_object('state_short_term_rate',"
            " (id %% 10)::text, 'state_long_term_rate', (id %% 10)::text, 'filing_status',"
            " CASE WHEN id %% 7 = 0 THEN 'married_separate' ELSE 'married_joint' END), now()"
            " FROM accounts_taxentity WHERE firm_id = %s", [firm.pk])
        cursor.execute(
            "INSERT INTO accounts_account (firm_id, account_number, name, household_id, status,"
            " registration, tax_status, discretionary, approved_for_trading, advisor_email,"
            " program_code, custom_fields, tax_entity_id) "
            "SELECT %s, 'A' || lpad(g::text, 7, '0'), 'Account ' || g, h.id, 'open',"
            " 'individual', CASE WHEN g %% 5 = 0 THEN 'tax_deferred' ELSE 'taxable' END, true,"
            " true, 'advisor' || (g %% 50) || '@bench.test', 'BAL60', '{}', t.id "
            "FROM generate_series(1, %s) g "
            "JOIN accounts_household h ON h.firm_id = %s AND h.code = 'HH' || ((g + 1) / 2) "
            "JOIN accounts_taxentity t ON t.firm_id = %s AND t.code = 'TE' || ((g + 1) / 2)",
            [firm.pk, N, firm.pk, firm.pk])
        trade = (
            "jsonb_build_object('turnover', 0.05, 'bought', '0', 'sold', '0',"
            " 'short_term_gains', (random() * 3000)::int::text, 'short_term_losses',"
            " (random() * 6000)::int::text, 'long_term_gains', (random() * 5000)::int::text,"
            " 'long_term_losses', (random() * 2000)::int::text, 'estimated_tax',"
            " (random() * 1500 - 900)::int::text, 'losses_harvested', '0', 'trading_cost', '0',"
            " 'cost_benefit_score', random())")
        traded = "(a.id + extract(day from d)::int) %% 3 = 0"
        cursor.execute(
            "INSERT INTO optimizer_analysis (firm_id, account_id, trade_date, status, summary,"
            " before, after, trade_metrics, relaxations, notes, calibration, solver, sources,"
            " naive_short_term_gain, naive_long_term_gain, naive_estimated_tax, naive_turnover,"
            " created_at) "
            "SELECT a.firm_id, a.id, d::date, 'optimal', '',"
            " jsonb_build_object('value', (100000 + a.id %% 1900000)::text),"
            " jsonb_build_object('value', (100000 + a.id %% 1900000)::text),"
            f" {trade}, '[]', '[]', '{{}}', '{{}}', '{{}}',"
            f" CASE WHEN {traded} THEN (random() * 6000)::int END,"
            f" CASE WHEN {traded} THEN (random() * 8000)::int END,"
            f" CASE WHEN {traded} THEN (random() * 3000)::int END,"
            f" CASE WHEN {traded} THEN 0.06 END, now() "
            "FROM accounts_account a, generate_series('2026-10-01'::date, '2026-10-30'::date,"
            " '1 day') d WHERE a.firm_id = %s AND extract(isodow from d) < 6", [firm.pk])
        cursor.execute("SELECT count(*) FROM optimizer_analysis WHERE firm_id = %s", [firm.pk])
        analyses = cursor.fetchone()[0]
print(json.dumps({"accounts": N, "analyses": analyses,
                  "seconds": round(time.perf_counter() - started, 1)}))
"""

RUN = """
import json, time
from datetime import date
import django
django.setup()
from accounts.models import Account
from rebal.firm_context import firm_context
from rebal.models import Firm
from reports.taxes_saved_exports import taxes_saved_csv, taxes_saved_pdf
from reports.taxes_saved_report import taxes_saved_report

firm = Firm.objects.get(code="BENCH")
start, end = date(2026, 10, 1), date(2026, 10, 31)
out = {}
with firm_context(firm):
    began = time.perf_counter()
    report = taxes_saved_report(accounts=Account.objects.all(), start=start, end=end)
    computed = time.perf_counter()
    pdf = taxes_saved_pdf(report, firm=firm, title="Taxes saved — " + firm.name)
    printed = time.perf_counter()
    csv = taxes_saved_csv(report)
    done = time.perf_counter()
    out |= {"accounts": len(report.rows), "saved": str(report.firm.saved),
            "compute_s": round(computed - began, 1), "pdf_s": round(printed - computed, 1),
            "csv_s": round(done - printed, 1), "firm_total_s": round(done - began, 1),
            "pdf_bytes": len(pdf), "csv_bytes": len(csv)}
    account = Account.objects.order_by("pk")[1]
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        one = taxes_saved_report(accounts=Account.objects.filter(pk=account.pk), start=start,
                                 end=end)
        taxes_saved_pdf(one, firm=firm, title="Taxes saved — " + account.account_number,
                        account=account)
        timings.append(time.perf_counter() - began)
    out["account_pdf_s"] = [round(t, 2) for t in timings]
    with open("/tmp/bench_reports_firm.pdf", "wb") as f:
        f.write(pdf)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_reports_{args.accounts}a"

    def build(urls: DatabaseUrls) -> None:
        built = in_django(django_env(urls, owner=True),
                          BUILD.replace("ACCOUNTS", str(args.accounts)))
        print(f"{built['accounts']:,} accounts, {built['analyses']:,} analyses in "
              f"{built['seconds']} s")

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        result = in_django(django_env(urls), RUN)
    print(f"monthly taxes-saved report, {result['accounts']:,} accounts (saved "
          f"{result['saved']}): {result['firm_total_s']} s — report {result['compute_s']} s, "
          f"PDF {result['pdf_s']} s ({result['pdf_bytes']:,} bytes), CSV {result['csv_s']} s "
          f"({result['csv_bytes']:,} bytes)")
    print(f"one account's PDF (report and PDF), 3 runs: {result['account_pdf_s']} s")


if __name__ == "__main__":
    main()
