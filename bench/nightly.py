"""The nightly analyze stage over a 100,000-account firm:
`./run bench nightly [--accounts N] [--workers 2] [--chunk 500] [--rebuild] [--build-only]`.

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
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
import numpy as np
from django.db import connection, transaction
from optimizer.core import synthetic
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
# The risk model: the stocks' from the optimizer's synthetic 20-factor universe (market,
# sectors, styles); each ETF family (E1, E2, E3, F1 of one asset class) shares exposures to
# within a hair, as the members of an equivalence set do.
stock_tickers = [t for t in tickers if t.startswith("S")]
world = synthetic.universe(seed=7, securities=len(stock_tickers), factors=20)
factors = list(world.risk.factors)
exposure = {t: world.risk.exposures[i] for i, t in enumerate(stock_tickers)}
specific = {t: float(world.risk.specific_variance[i]) for i, t in enumerate(stock_tickers)}
family_rng = np.random.default_rng(11)
families = {}
for t in tickers:
    if t.startswith("S"):
        continue
    family = t[:-2]
    if family not in families:
        market = 0.0 if family == "CASH" else 0.15 if family.startswith("FI") else 1.0
        families[family] = np.concatenate([[market], family_rng.normal(0, 0.15,
                                                                      len(factors) - 1)])
    exposure[t] = families[family] + family_rng.normal(0, 0.005, len(factors))
    specific[t] = float(family_rng.uniform(0.0002, 0.0006))
files[f"risk_exposures_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "ticker", "factor", "exposure"],
    ([day.isoformat(), t, f, f"{exposure[t][i]:.6f}"] for t in tickers
     for i, f in enumerate(factors)))
files[f"risk_covariance_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "factor_1", "factor_2", "covariance"],
    ([day.isoformat(), a, factors[j], f"{world.risk.factor_covariance[i, j]:.10f}"]
     for i, a in enumerate(factors) for j in range(i, len(factors))))
files[f"risk_specific_{day:%Y%m%d}.csv"] = table(
    ["as_of_date", "ticker", "specific_variance"],
    ([day.isoformat(), t, f"{specific[t]:.8f}"] for t in tickers))

stocks = [t for t in tickers if t.startswith("S")]
etf_alternatives = {t: [o for o in tickers if o[:-2] == t[:-2] and o != t and o[-2] == "E"]
                    for t in tickers if not t.startswith("S")}
lot_rows, cash_rows, base_lot_rows, base_cash_rows, transaction_rows = [], [], [], [], []
# The lots of the accounts that did not trade in the window are copied in directly (below):
# one tax_lots file of several million rows would need more memory than the feed's parse has.
quiet_lots = open(Path(FOLDER, "quiet_lots.csv"), "w")
quiet_writer = csv_module.writer(quiet_lots, lineterminator="\\n")
lot_count = 0
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
            # Most accounts sit near their target with the 1% cash they keep (Rebal's default)
            # and few lots at a loss (last night's run harvested what was worth it); some
            # received a deposit to invest.
            cash = value * (rng.uniform(0.04, 0.08) if rng.random() < 0.15
                            else rng.uniform(0.010, 0.016))
            lots = []
            for t, w in sorted(holdings.items()):
                dollars = (value - cash) * w / total * rng.lognormvariate(0, 0.04)
                shares = max(1, int(dollars / float(price[t])))
                parts = 2 if shares > 3 else 1
                for k in range(parts):
                    q = shares // parts + (shares % parts if k == 0 else 0)
                    acquired = day - timedelta(days=rng.randint(20, 3600))
                    basis = float(price[t]) * q * rng.lognormvariate(-0.35, 0.12)
                    lots.append([number, t, f"{t}-{k}", q, f"{basis:.2f}", acquired.isoformat()])
            cash = Decimal(f"{cash:.2f}")
            active = n % 10 == 1 and len(lots) > 3
            if active:
                # Active in the window: sold a lot at a loss, then bought another security.
                counts["active"] += 1
                sold = next((lot for lot in lots if float(lot[4]) > float(price[lot[1]]) * lot[3]
                             and lot[1] != lots[0][1]), lots[-1])
                sold[4] = f"{float(price[sold[1]]) * sold[3] * 1.15:.2f}"  # sold at a loss
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
            if active:
                lot_rows.extend(lots)
            else:
                quiet_writer.writerows([item.account_id, by_ticker[lot[1]].pk, *lot[2:]]
                                       for lot in lots)
            lot_count += len(lots)
            cash_rows.append([number, f"{cash:.2f}"])
quiet_lots.close()
lot_header = ["account_number", "ticker", "lot_id", "quantity", "cost_basis", "acquired_date"]
files[f"tax_lots_{base_day:%Y%m%d}.csv"] = table(lot_header, base_lot_rows)
files[f"cash_{base_day:%Y%m%d}.csv"] = table(["account_number", "cash"], base_cash_rows)
files[f"transactions_{day:%Y%m%d}.csv"] = table(
    ["account_number", "transaction_id", "trade_date", "type", "ticker", "quantity", "price",
     "amount", "lot_id"], transaction_rows)
files[f"cash_{day:%Y%m%d}.csv"] = table(["account_number", "cash"], cash_rows)
files[f"tax_lots_{day:%Y%m%d}.csv"] = table(lot_header, lot_rows)
loads = {}
for name, data in files.items():
    started_file = time.perf_counter()
    loaded = feed_file_receive_for(firm=firm, name=name, data=data,
                                   delivery=Delivery(door="cli", delivered_by="bench"))
    assert loaded.status == "loaded", (name, loaded.status, loaded.error)
    loads[name] = [loaded.rows_loaded, round(time.perf_counter() - started_file, 1)]
lots_file = loaded  # the date's tax_lots file, loaded after its cash file: it gave every
# account it does not name an empty lot set, which the quiet accounts' lots now fill
started_file = time.perf_counter()
with firm_context(firm), transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE quiet_lots (account_id bigint, security_id bigint, "
                   "lot_id varchar(50), quantity numeric, cost_basis numeric, "
                   "acquired_date date) ON COMMIT DROP")
    with open(Path(FOLDER, "quiet_lots.csv")) as source:
        cursor.cursor.copy_expert("COPY quiet_lots FROM STDIN WITH (FORMAT csv)", source)
    # The lot sets the file just created have no planner statistics yet (the app role may
    # not ANALYZE the table): join through an analyzed copy, else a nested loop crawls.
    cursor.execute("CREATE TEMP TABLE quiet_sets ON COMMIT DROP AS SELECT account_id, id "
                   "FROM accounts_lotset WHERE feed_file_id = %s", [lots_file.pk])
    cursor.execute("ANALYZE quiet_lots")
    cursor.execute("ANALYZE quiet_sets")
    cursor.execute(
        "INSERT INTO accounts_taxlot (firm_id, lot_set_id, account_id, security_id, lot_id, "
        "quantity, cost_basis, acquired_date, holding_period_start, wash_sale_adjustment) "
        "SELECT %s, s.id, q.account_id, q.security_id, q.lot_id, q.quantity, q.cost_basis, "
        "q.acquired_date, NULL, 0 FROM quiet_lots q JOIN quiet_sets s "
        "ON s.account_id = q.account_id", [firm.pk])
    copied = cursor.rowcount
    cursor.execute(
        "UPDATE accounts_lotset s SET lot_count = c.n FROM (SELECT qs.id, count(*) AS n "
        "FROM quiet_lots q JOIN quiet_sets qs ON qs.account_id = q.account_id "
        "GROUP BY qs.id) c WHERE s.id = c.id")
loads["quiet lots (copied)"] = [copied, round(time.perf_counter() - started_file, 1)]
Path(FOLDER, "quiet_lots.csv").unlink()
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "loads": loads,
                  "lots": lot_count, **counts}))
"""

# One worker process: the chunks it is given, each in its own transaction, as a chunk task
# would run them.
WORKER = """
import json, os, time
from datetime import date
from pathlib import Path
import django
django.setup()
from django.db import transaction
from optimizer.chunk_analysis import ChunkTimings, chunk_analyze
from rebal.firm_context import firm_context
from rebal.models import Firm

from django.db import connection


# CPU seconds of this process's PostgreSQL backend so far (the server is on this machine):
# its share of loading and writing.
def backend_cpu():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


firm = Firm.objects.get(code="BENCH")
out = []
cpu, backend = time.process_time(), backend_cpu()
for chunk in json.loads(Path(CHUNKS).read_text()):
    timings = ChunkTimings()
    with firm_context(firm), transaction.atomic():
        chunk_analyze(account_ids=chunk, as_of=date.fromisoformat("DAY"), timings=timings)
    out.append({"accounts": timings.accounts, "load": timings.load, "solve": timings.solve,
                "write": timings.write})
print(json.dumps({"chunks": out, "cpu": time.process_time() - cpu,
                  "backend_cpu": backend_cpu() - backend}))
"""

# A clone of a template built before a newer migration is brought up to today's schema first.
MIGRATE = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
print(json.dumps({}))
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
from collections import Counter
import django
django.setup()
from django.db.models import Count
from optimizer.models import Analysis, ProposedTrade
from rebal.firm_context import firm_context
from rebal.models import Firm

firm = Firm.objects.get(code="BENCH")
with firm_context(firm):
    statuses = dict(Analysis.objects.values_list("status").annotate(n=Count("pk")))
    shadows = Analysis.objects.filter(naive_estimated_tax__isnull=False).count()
    trades = ProposedTrade.objects.count()
    failures, analyze_seconds = {}, None
    try:
        from workflow.models import RunAccount, RunStage
    except ImportError:
        pass
    else:
        failures = dict(Counter(reason[:70] for reason in RunAccount.objects.filter(
            status__in=["failed", "skipped"]).values_list("reason", flat=True)))
        stage = RunStage.objects.filter(stage="analyze").first()
        if stage is not None and stage.duration_seconds is not None:
            analyze_seconds = stage.duration_seconds
print(json.dumps({"statuses": statuses, "trades": trades, "with_shadow": shadows,
                  "failures": failures, "analyze_seconds": analyze_seconds}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true",
                        help="build the template database (if missing) and stop")
    parser.add_argument("--direct", action="store_true",
                        help="processes calling chunk_analyze, without Celery and the workflow")
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
    if args.build_only:
        return
    with template_clone(template) as urls:
        in_django(django_env(urls, owner=True), MIGRATE)
        if args.direct:
            _run_direct(urls, folder, args.workers, args.chunk)
        else:
            _run_celery(urls, folder, args.workers)


def _worker_env(urls: DatabaseUrls, **extra: str) -> dict[str, str]:
    """A worker's environment: the app role only, one BLAS thread (a core per process)."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"REBAL_OWNER_DATABASE_URL", "REBAL_ADMIN_DATABASE_URL"}}
    return {**env, "DJANGO_SETTINGS_MODULE": "rebal.settings.test", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **django_env(urls), **extra}


def _report(wall: float, workers: int, timings: list[dict[str, float]], summary: dict[str, Any],
            extra: str = "") -> None:
    accounts = int(sum(t["accounts"] for t in timings))
    load, solve, write = (sum(t[key] for t in timings) for key in ("load", "solve", "write"))
    busy = (load + solve + write) or 1.0
    print(f"analyze stage: {accounts:,} accounts in {len(timings)} chunks, {workers} worker "
          f"processes: {wall:.1f} s wall ({wall / 60:.1f} min){extra}")
    print(f"split (worker seconds): load {load:.1f} ({load / busy:.0%}), solve {solve:.1f} "
          f"({solve / busy:.0%}, tax-naive shadows included), write {write:.1f} "
          f"({write / busy:.0%})")
    print(f"{accounts / (wall / 3600) / workers:,.0f} accounts per hour per core")
    print(f"stored: {summary['statuses']}, {summary['trades']:,} proposed trades, "
          f"{summary['with_shadow']:,} tax-naive shadows; failed: {summary['failures']}")


CHUNK_LINE = re.compile(r"chunk of (\d+) accounts: load ([\d.]+) s, solve ([\d.]+) s, "
                        r"write ([\d.]+) s")


def _run_celery(urls: DatabaseUrls, folder: Path, workers: int) -> None:
    """The workflow's nightly run through real Celery workers (solo pool, one process each)
    on a private Redis; the analyze stage's wall time is the run's own record of it."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is needed for the Celery run (or use --direct)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(folder)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = _worker_env(urls, REDIS_URL=f"redis://127.0.0.1:{port}/0",
                      REBAL_CELERY_QUEUE="bench")
    logs = [folder / f"worker_{n}.log" for n in range(workers)]
    processes = []
    try:
        for n, log in enumerate(logs):
            with log.open("wb") as out:
                processes.append(subprocess.Popen(
                    [str(Path(sys.executable).parent / "celery"), "-A", "rebal", "worker",
                     "-P", "solo", "-l", "info", "-Q", "bench", "-n", f"bench{n}@%h",
                     "--without-gossip", "--without-mingle"], env=env, cwd=ROOT, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        for process, log in zip(processes, logs, strict=True):
            _wait_ready(process, log)
        started = time.perf_counter()
        command = subprocess.run(
            [sys.executable, "manage.py", "run_nightly", "--firm", "BENCH", "--date",
             BUSINESS_DATE, "--wait", "--timeout", "7200"], env=env, cwd=ROOT,
            capture_output=True, text=True)
        wall = time.perf_counter() - started
    finally:
        for process in [*processes, redis]:
            process.terminate()
        for process in [*processes, redis]:
            process.wait(timeout=30)
    print(command.stdout.strip())
    if command.returncode:
        raise SystemExit(f"run_nightly failed:\n{command.stderr[-3000:]}")
    timings = [{"accounts": int(m[1]), "load": float(m[2]), "solve": float(m[3]),
                "write": float(m[4])}
               for log in logs for m in CHUNK_LINE.finditer(log.read_text(errors="replace"))]
    summary = in_django(django_env(urls), SUMMARY)
    stage = summary["analyze_seconds"]
    _report(float(stage) if stage else wall, workers, timings, summary,
            extra=f" (the whole cycle, every stage: {wall:.1f} s)")


def _wait_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Until the Celery worker says it is ready; a worker that exits first stops the run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a worker exited:\n{log.read_text(errors='replace')[-3000:]}")
        if " ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise SystemExit(f"a worker was not ready after {timeout:.0f} s")


def _run_direct(urls: DatabaseUrls, folder: Path, workers: int, size: int) -> None:
    """`workers` processes calling `chunk_analyze` over chunks, without Celery."""
    chunks = in_django(django_env(urls), CHUNKING.replace("SIZE", str(size)))["chunks"]
    assert isinstance(chunks, list)
    shares = []
    for worker in range(workers):
        path = folder / f"chunks_{worker}.json"
        path.write_text(json.dumps(chunks[worker::workers]))
        shares.append(path)
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", WORKER.replace("CHUNKS", repr(str(share)))
                          .replace("DAY", BUSINESS_DATE)], env=_worker_env(urls), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for share in shares]
    timings = []
    cpu = backend = 0.0
    for process in processes:
        out, err = process.communicate()
        if process.returncode:
            raise SystemExit(f"worker failed:\n{err[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        timings.extend(result["chunks"])
        cpu += result["cpu"]
        backend += result["backend_cpu"]
    wall = time.perf_counter() - started
    _report(wall, workers, timings, in_django(django_env(urls), SUMMARY))
    # CPU, not wall: what the stage costs whatever else shares the cores.
    accounts = sum(t["accounts"] for t in timings)
    print(f"CPU: workers {cpu:.1f} s, their PostgreSQL backends {backend:.1f} s; "
          f"{(cpu + backend) / accounts * 1e3:.2f} ms an account; on {workers} cores of "
          f"their own: {(cpu + backend) / workers:.0f} s "
          f"({accounts / ((cpu + backend) / 3600):,.0f} accounts per hour per core)")


if __name__ == "__main__":
    main()
