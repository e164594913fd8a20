"""What the analysis record adds to the nightly write: `./run bench records_write [--accounts 2000]
[--rounds 2]`.

Clones the nightly benchmark's template (`bench/nightly.py`, built there), migrates the clone,
then in one process analyzes the firm's accounts in chunks of 500 with `chunk_analyze`, each
round twice — once writing the records, once with the records stripped before the write —
alternating so that a loaded machine weighs on both alike. Prints the write time per account
of each, the contents stored (once per distinct settings, target and market data, so the
later rounds add none) and the bytes the record adds per analysis row.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from psycopg2 import sql

from bench.databases import (
    _execute,
    admin_url,
    database_exists,
    django_env,
    ensure_database,
    in_django,
)
from rebal.dbroles import drop_database

MIGRATE = """
import io, json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0, interactive=False)
print(json.dumps({"migrated": True}))
"""

MEASURE = """
import json, time
from dataclasses import replace
from datetime import date
import django
django.setup()
from django.db import connection, transaction
from accounts.models import Account
from optimizer import chunk_analysis
from optimizer.analysis_writes import analyses_write
from optimizer.chunk_analysis import ChunkTimings, chunk_analyze
from optimizer.models import DataContent, SettingsContent, TargetContent
from rebal.firm_context import firm_context
from rebal.models import Firm


def without_records(*, firm, analyses):
    return analyses_write(firm=firm, analyses=[replace(a, record=None) for a in analyses])


firm = Firm.objects.get(code="BENCH")
with firm_context(firm):
    rows = list(Account.objects.filter(status="open").order_by("tax_entity_id", "pk")
                .values_list("pk", "tax_entity_id"))
chunks, current, entity = [], [], None
for pk, tax_entity in rows:
    if len(current) >= 500 and tax_entity != entity:
        chunks.append(current)
        current = []
    current.append(pk)
    entity = tax_entity
chunks.append(current)
out = {"with": [], "without": [], "contents": []}
for round_ in range(ROUNDS):
    for mode in ("with", "without") if round_ % 2 == 0 else ("without", "with"):
        chunk_analysis.analyses_write = analyses_write if mode == "with" else without_records
        timings = ChunkTimings()
        for chunk in chunks:
            with firm_context(firm), transaction.atomic():
                chunk_analyze(account_ids=chunk, as_of=date.fromisoformat("2026-11-24"),
                              timings=timings)
        out[mode].append({"accounts": timings.accounts - timings.failed,
                          "load": timings.load, "write": timings.write})
        if mode == "with":
            with firm_context(firm):
                out["contents"].append([SettingsContent.objects.count(),
                                        TargetContent.objects.count(),
                                        DataContent.objects.count()])
with firm_context(firm), connection.cursor() as cursor:
    cursor.execute("SELECT count(*), avg(pg_column_size(sources)), "
                   "avg(pg_column_size(before) + pg_column_size(after) "
                   "+ pg_column_size(trade_metrics) + pg_column_size(calibration) "
                   "+ pg_column_size(solver) + pg_column_size(summary)) "
                   "FROM optimizer_analysis WHERE settings_content_id IS NOT NULL")
    recorded, sources_bytes, other_bytes = cursor.fetchone()
    cursor.execute("SELECT pg_total_relation_size('optimizer_settingscontent') "
                   "+ pg_total_relation_size('optimizer_targetcontent') "
                   "+ pg_total_relation_size('optimizer_datacontent')")
    content_bytes = cursor.fetchone()[0]
out |= {"recorded": recorded, "sources_bytes": float(sources_bytes),
        "other_bytes": float(other_bytes), "content_bytes": content_bytes}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    template = f"rebal_bench_nightly_{args.accounts}a"
    if not database_exists(template):
        raise SystemExit(f"no template {template}: run ./run bench nightly --accounts "
                         f"{args.accounts} --build-only first")
    clone = f"rebal_bench_records_{args.accounts}a"
    drop_database(admin_url(), clone)
    _execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(clone),
                                                              sql.Identifier(template)))
    try:
        urls = ensure_database(admin_url(), clone)
        in_django(django_env(urls, owner=True), MIGRATE)
        started = time.perf_counter()
        found = in_django(django_env(urls), MEASURE.replace("ROUNDS", str(args.rounds)))
    finally:
        drop_database(admin_url(), clone)
    print(f"{args.rounds} rounds over {args.accounts:,} accounts in "
          f"{time.perf_counter() - started:.0f} s")
    for mode in ("with", "without"):
        runs = found[mode]
        accounts = sum(r["accounts"] for r in runs)
        write = sum(r["write"] for r in runs)
        load = sum(r["load"] for r in runs)
        print(f"{mode:>7} records: write {write:.2f} s for {accounts:,} analyses "
              f"({write / accounts * 1000:.2f} ms each), load {load / accounts * 1000:.2f} ms "
              f"each; rounds: " + ", ".join(f"{r['write']:.2f} s" for r in runs))
    print("contents stored after each recorded round (settings, targets, market data): "
          f"{found['contents']} — {found['content_bytes'] / 1024:.0f} KiB in all")
    print(f"sources per analysis: {found['sources_bytes']:.0f} bytes (the rest of the row's "
          f"JSON and summary: {found['other_bytes']:.0f} bytes); {found['recorded']:,} "
          "recorded analyses")


if __name__ == "__main__":
    main()
