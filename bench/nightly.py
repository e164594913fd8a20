"""The nightly analyze stage over a 100,000-account firm:
`./run bench nightly [--accounts N] [--workers 2] [--chunk 500] [--rebuild]`.

The firm is built once into a PostgreSQL template database and cloned for each run (CREATE
DATABASE … TEMPLATE …). It is the model book of `bench/resolve_targets.py` (asset-class tree,
ETF, mutual-fund and direct-index products, programs, equivalence sets, limits) plus a
direct-index program, and:
- accounts in households of two, each household one tax entity; 10% tax-deferred; 0.1% name a
  program the firm does not have (they fail, with the reason);
- 90% model/ETF accounts (about 15 positions in 30 lots: the model's ETFs, some equivalents,
  some legacy stocks) and 10% direct-index accounts (about 300 stocks and the other classes'
  ETFs in 600 lots), holdings drifted around the resolved target, bases giving both gains and
  losses, some lots short-term;
- prices, a 20-factor risk model (exposures, covariance, specific variances);
- for 10% of the accounts a snapshot before the wash-sale window and the window's trades (a
  loss sale, a purchase), so that their tax entities have wash-sale windows and overlays.
Everything goes through the feeds, as a custodian would deliver it.

A run splits the accounts into chunks (an entity's accounts never split) and has `--workers`
processes call `optimizer.chunk_analysis.chunk_analyze` over them, each chunk in its own
transaction, then prints the load/solve/write split, accounts per hour per core and the total.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import (
    ROOT,
    django_env,
    in_django,
    template_clone,
    template_ensure,
)
from bench.resolve_targets import LOAD_ACCOUNTS, MODEL_BOOK, PROGRAMS
from rebal.dbroles import DatabaseUrls

BUSINESS_DATE = "2026-11-24"
DIRECT_PROGRAM = "BAL60-DIRECT"


def accounts_file(count: int) -> bytes:
    """Households of two, each its own tax entity; every tenth account direct-index, every
    tenth (another) tax-deferred, one in a thousand on an unknown program."""
    rng = random.Random(11)  # noqa: S311 - benchmark data
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["account_number", "account_name", "household_code", "tax_entity",
                     "tax_status", "status", "program"])
    programs, weights = list(PROGRAMS), list(PROGRAMS.values())
    for n in range(count):
        program = ("LEGACY" if n % 1000 == 999 else DIRECT_PROGRAM if n % 10 == 5
                   else rng.choices(programs, weights)[0])
        status = "tax_deferred" if n % 10 == 2 else "taxable"
        writer.writerow([f"A{n:07d}", f"Account {n}", f"H{n // 2:07d}", f"T{n // 2:07d}",
                         status, "open", program])
    return buffer.getvalue().encode()


# After MODEL_BOOK and LOAD_ACCOUNTS, in the same process: the direct-index program, a few
# customizations, then market data and holdings generated around each account's target and
# loaded through the feeds.
HOLDINGS = """
import csv as csv_module, io as io_module
from datetime import timedelta
from accounts.targets import resolve_in_chunks
with firm_context(firm):
    publish(hub.program_propose(
        code="DIRECT_PROGRAM", name="Balanced, direct-indexed large caps",
        parent=programs["BAL60"], products={classes["EQ.US.LARGE"].pk: direct},
        reason="bench", acting_user=ipc))
with firm_context(firm), audit_context(system_job="bench", reason="bench identifiers"):
    bulk_create_audited(SecurityIdentifier, [  # so that the feeds resolve the tickers
        SecurityIdentifier(firm=firm, security=s, kind="ticker", value=t)
        for t, s in by_ticker.items()])
with firm_context(firm), audit_context(system_job="bench", reason="bench customizations"):
    rng = random.Random(9)
    c = {code: str(a.pk) for code, a in classes.items()}
    variants = [
        {"excluded_asset_classes": [int(c["RE.US"])]},
        {"tax_sensitivity": "high", "loss_harvesting_minimum": "1000.00"},
        {"tracking": "loose", "cash_to_keep": {"unit": "dollars", "amount": "5000.00"},
         "do_not_buy": [by_ticker["S001"].pk, by_ticker["S002"].pk]},
        {"tracking": "tight", "minimum_trade": "250"},
    ]
    accounts = list(Account.objects.order_by("pk").values_list(
        "pk", "account_number", "program_code", "tax_status"))
    bulk_create_audited(AccountSettings, [
        AccountSettings(firm=firm, account_id=pk, values=rng.choice(variants))
        for pk, _, program, _ in accounts if rng.random() < 0.15 and program != "LEGACY"],
        batch_size=5000)
    entities = list(TaxEntity.objects.values_list("pk", flat=True))
    bulk_create_audited(TaxEntitySettings, [
        TaxEntitySettings(firm=firm, tax_entity_id=pk, values={
            "state_short_term_rate": "9.3", "state_long_term_rate": "9.3"})
        for pk in entities if rng.random() < 0.15], batch_size=5000)

day = date.fromisoformat("BUSINESS_DATE")
base_day = day - timedelta(days=67)  # a snapshot before the 60-day window the engine replays
sale_day, buy_day = day - timedelta(days=14), day - timedelta(days=11)
rng = random.Random(3)
tickers = sorted(by_ticker)
price = {t: Decimal(str(round(rng.lognormvariate(4.2, 0.6), 2))) for t in tickers}
FACTORS = [f"F{i:02d}" for i in range(20)]
by_ticker_id = {s.pk: t for t, s in by_ticker.items()}


def table(header, rows):
    buffer = io_module.StringIO()
    writer = csv_module.writer(buffer, lineterminator="\\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


files = {}
files[f"prices_{day:%Y%m%d}.csv"] = table(["as_of_date", "ticker", "close"], (
    [day.isoformat(), t, price[t]] for t in tickers))
files[f"risk_exposures_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "ticker", "factor", "exposure"],
    ([day.isoformat(), t, f, f"{rng.gauss(1.0 if f == 'F00' else 0.0, 0.3):.6f}"]
     for t in tickers for f in FACTORS))
files[f"risk_covariance_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "factor_1", "factor_2", "covariance"],
    ([day.isoformat(), a, b, f"{(0.03 if a == 'F00' else 0.004) if a == b else 0.0005:.6f}"]
     for i, a in enumerate(FACTORS) for b in FACTORS[i:]))
files[f"risk_specific_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "ticker", "specific_variance"],
    ([day.isoformat(), t,
      f"{rng.uniform(0.02, 0.09) if t.startswith('S') else rng.uniform(0.002, 0.01):.6f}"]
     for t in tickers))

stocks = [t for t in tickers if t.startswith("S")]
etf_alternatives = {t: [o for o in tickers if o[:-2] == t[:-2] and o != t and o[-2] == "E"]
                    for t in tickers if not t.startswith("S")}
lot_rows, cash_rows, base_lot_rows, base_cash_rows, transaction_rows = [], [], [], [], []
counts = {"direct": 0, "model": 0, "active": 0}
ids = [pk for pk, *_ in accounts]
numbers = {pk: (number, program, status) for pk, number, program, status in accounts}
with firm_context(firm), audit_context(system_job="bench"):
    for chunk in resolve_in_chunks(ids, day, hold_unknown_programs=False):
        for item in chunk:
            number, program, status = numbers[item.account_id]
            n = int(number[1:])
            target = {by_ticker_id[s.security_id]: float(s.weight)
                      for s in item.target.securities} if item.target.ok else {
                          "EQUSLARGEE1": 0.6, "FIUSAGGE1": 0.4}
            direct_index = len(target) > 100
            counts["direct" if direct_index else "model"] += 1
            value = rng.lognormvariate(14.9 if direct_index else 12.6, 0.5)
            holdings = {}
            if direct_index:
                chosen = set(rng.sample(sorted(t for t in target if t.startswith("S")), 290))
                for t, w in target.items():
                    if not t.startswith("S"):
                        holdings[t] = w
                    elif t in chosen:
                        holdings[t] = w * 500 / 290
            else:
                # The model's ETFs, often spread over members of their equivalence set.
                for t, w in target.items():
                    members = [t, *etf_alternatives.get(t, [])] if t.endswith("E1") else [t]
                    spread = members[:rng.choice((1, 2, 2, 3))]
                    for member in spread:
                        holdings[member] = w / len(spread)
                if rng.random() < 0.1:  # legacy stocks the model does not hold
                    for t in rng.sample(stocks, 3):
                        holdings[t] = 0.01
            total = sum(holdings.values())
            # Most accounts sit near their target; some received a deposit to invest.
            cash = value * (rng.uniform(0.04, 0.08) if rng.random() < 0.15
                            else rng.uniform(0.005, 0.02))
            lots = []
            for t, w in sorted(holdings.items()):
                dollars = (value - cash) * w / total * rng.lognormvariate(0, 0.04)
                shares = max(1, int(dollars / float(price[t])))
                parts = 2 if shares > 3 else 1
                for k in range(parts):
                    q = shares // parts + (shares % parts if k == 0 else 0)
                    acquired = day - timedelta(days=rng.randint(20, 3600))
                    basis = float(price[t]) * q * rng.lognormvariate(-0.15, 0.3)
                    lots.append([number, t, f"{t}-{k}", q, f"{basis:.2f}", acquired.isoformat()])
            cash = Decimal(f"{cash:.2f}")
            if n % 10 == 1 and len(lots) > 3:
                # Active in the window: sold a lot at a loss, then bought another security.
                counts["active"] += 1
                sold = next((lot for lot in lots if float(lot[4]) > float(price[lot[1]]) * lot[3]
                             and lot[1] != lots[0][1]), lots[-1])
                bought = lots[0]
                base = [lot for lot in lots if lot is not bought]
                lots = [lot for lot in lots if lot is not sold]
                bought[5] = buy_day.isoformat()
                proceeds = (price[sold[1]] * sold[3]).quantize(Decimal("0.01"))
                cost = Decimal(bought[4])
                base_lot_rows.extend(base)
                base_cash_rows.append([number, f"{cash - proceeds + cost:.2f}"])
                transaction_rows.append([number, f"{number}-S", sale_day.isoformat(), "sell",
                                         sold[1], sold[3], price[sold[1]], f"{proceeds:.2f}",
                                         sold[2]])
                transaction_rows.append([number, f"{number}-B", buy_day.isoformat(), "buy",
                                         bought[1], bought[3],
                                         f"{cost / bought[3]:.6f}", f"{-cost:.2f}", bought[2]])
            lot_rows.extend(lots)
            cash_rows.append([number, f"{cash:.2f}"])
lot_header = ["account_number", "ticker", "lot_id", "quantity", "cost_basis", "acquired_date"]
files[f"tax_lots_{base_day:%Y%m%d}.csv"] = table(lot_header, base_lot_rows)
files[f"cash_{base_day:%Y%m%d}.csv"] = table(["account_number", "cash"], base_cash_rows)
files[f"transactions_{day:%Y%m%d}.csv"] = table(
    ["account_number", "transaction_id", "trade_date", "type", "ticker", "quantity", "price",
     "amount", "lot_id"], transaction_rows)
files[f"tax_lots_{day:%Y%m%d}.csv"] = table(lot_header, lot_rows)
files[f"cash_{day:%Y%m%d}.csv"] = table(["account_number", "cash"], cash_rows)
loads = {}
for name, data in files.items():
    started_file = time.perf_counter()
    loaded = feed_file_receive_for(firm=firm, name=name, data=data,
                                   delivery=Delivery(door="cli", delivered_by="bench"))
    assert loaded.status == "loaded", (name, loaded.status, loaded.error)
    loads[name] = [loaded.rows_loaded, round(time.perf_counter() - started_file, 1)]
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "loads": loads,
                  "lots": len(lot_rows), **counts}))
"""

# One worker process: the chunks it is given, each in its own transaction, as a chunk task
# would run them.
WORKER = """
import json, resource, time
from datetime import date
from pathlib import Path
import django
django.setup()
from django.db import transaction
from optimizer.chunk_analysis import ChunkTimings, chunk_analyze
from rebal.firm_context import firm_context
from rebal.models import Firm

chunks = json.loads(Path(CHUNKS).read_text())
firm = Firm.objects.get(code="BENCH")
timings = ChunkTimings()
started = time.perf_counter()
failures = {}
for chunk in chunks:
    with firm_context(firm), transaction.atomic():
        for outcome in chunk_analyze(account_ids=chunk, as_of=date.fromisoformat("DAY"),
                                     timings=timings):
            if outcome.failure:
                failures[outcome.failure[:60]] = failures.get(outcome.failure[:60], 0) + 1
print(json.dumps({"seconds": time.perf_counter() - started, "load": timings.load,
                  "solve": timings.solve, "write": timings.write,
                  "accounts": timings.accounts, "failed": timings.failed,
                  "naive_solves": timings.naive_solves, "failures": failures,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""

CHUNKING = """
import json
import django
django.setup()
from accounts.models import Account
from rebal.firm_context import firm_context
from rebal.models import Firm

firm = Firm.objects.get(code="BENCH")
with firm_context(firm):
    rows = list(Account.objects.filter(status="open").order_by("tax_entity_id", "pk")
                .values_list("pk", "tax_entity_id"))
chunks, current, entity = [], [], None
for pk, tax_entity in rows:
    if len(current) >= SIZE and tax_entity != entity:
        chunks.append(current)
        current = []
    current.append(pk)
    entity = tax_entity
if current:
    chunks.append(current)
print(json.dumps({"chunks": chunks}))
"""

SUMMARY = """
import json
import django
django.setup()
from optimizer.models import Analysis, ProposedTrade
from django.db.models import Count, Sum
from rebal.firm_context import firm_context
from rebal.models import Firm

firm = Firm.objects.get(code="BENCH")
with firm_context(firm):
    statuses = dict(Analysis.objects.values_list("status").annotate(n=Count("pk")))
    naive = Analysis.objects.filter(naive_estimated_tax__isnull=False).aggregate(
        n=Count("pk"), tax=Sum("naive_estimated_tax"))
    trades = ProposedTrade.objects.count()
print(json.dumps({"statuses": statuses, "trades": trades, "with_shadow": naive["n"],
                  "naive_tax": str(naive["tax"])}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_nightly_{args.accounts}a"
    folder = ROOT / ".rebal" / "bench" / f"nightly_{args.accounts}a"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts_20261123.csv").write_bytes(accounts_file(args.accounts))

    def build(urls: DatabaseUrls) -> None:
        code = (MODEL_BOOK + LOAD_ACCOUNTS + HOLDINGS).replace(
            "FOLDER", repr(str(folder))).replace("BUSINESS_DATE", BUSINESS_DATE).replace(
            "DIRECT_PROGRAM", DIRECT_PROGRAM)
        built = in_django(django_env(urls, owner=True), code)
        print(f"{built['model']:,} model/ETF and {built['direct']:,} direct-index accounts, "
              f"{built['lots']:,} lots; {built['active']:,} accounts with trades in the "
              f"wash-sale window; feeds {built['loads']}")

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        env = django_env(urls)
        chunks = in_django(env, CHUNKING.replace("SIZE", str(args.chunk)))["chunks"]
        assert isinstance(chunks, list)
        shares = []
        for worker in range(args.workers):
            path = folder / f"chunks_{worker}.json"
            path.write_text(json.dumps(chunks[worker::args.workers]))
            shares.append(path)

        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER.replace("CHUNKS", repr(str(share)))
                 .replace("DAY", BUSINESS_DATE)],
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "rebal.settings.test",
                     "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", **env},
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for share in shares]
        results = []
        for process in processes:
            out, err = process.communicate()
            if process.returncode:
                raise SystemExit(f"worker failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall = time.perf_counter() - started
        summary = in_django(env, SUMMARY)
    accounts = sum(r["accounts"] for r in results)
    load = sum(r["load"] for r in results)
    solve = sum(r["solve"] for r in results)
    write = sum(r["write"] for r in results)
    busy = load + solve + write
    print(f"{accounts:,} accounts in {len(chunks)} chunks, {args.workers} worker processes: "
          f"{wall:.1f} s wall ({wall / 60:.1f} min)")
    print(f"split (worker seconds): load {load:.1f} ({load / busy:.0%}), solve {solve:.1f} "
          f"({solve / busy:.0%}, tax-naive shadows included: "
          f"{sum(r['naive_solves'] for r in results):,}), write {write:.1f} "
          f"({write / busy:.0%})")
    print(f"{accounts / (wall / 3600) / args.workers:,.0f} accounts per hour per core; "
          f"failed {sum(r['failed'] for r in results):,} "
          f"({', '.join(f'{k}…: {v}' for r in results for k, v in r['failures'].items())}); "
          f"peak memory per worker {max(r['peak_rss_mb'] for r in results)} MB")
    print(f"stored: {summary['statuses']}, {summary['trades']:,} proposed trades, "
          f"{summary['with_shadow']:,} tax-naive shadows")


if __name__ == "__main__":
    main()
