"""Loading a 1,000,000-lot tax_lots file: `./run bench load_tax_lots [--lots N] [--accounts N]`.

The firm (accounts, securities, prices) is built once into a PostgreSQL template database and
cloned for each run (CREATE DATABASE … TEMPLATE …), so a run costs the load, not the set-up.
Prints the load's wall time, rows per second and the process's peak memory.

Needs DATABASE_URL naming a role that may create roles and databases (./run sets it up).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
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
from dataops.identifiers import cusip_check_digit
from rebal.dbroles import DatabaseUrls


def securities(count: int) -> list[tuple[str, str]]:
    return [(body + cusip_check_digit(body), f"S{i:04d}")
            for i, body in enumerate(f"9{i:07d}" for i in range(count))]


def files(accounts: int, lots: int, security_count: int) -> dict[str, bytes]:
    rng = random.Random(7)  # noqa: S311 - benchmark data, not secrets
    names = securities(security_count)

    def table(header: list[str], rows: object) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)  # type: ignore[arg-type]
        return buffer.getvalue().encode()

    per_account = lots // accounts
    return {
        "securities_20261123.csv": table(["cusip", "ticker", "name", "security_type"], (
            [c, t, f"Security {t}", "equity"] for c, t in names)),
        "prices_20261123.csv": table(["as_of_date", "cusip", "close"], (
            ["2026-11-23", c, f"{rng.uniform(10, 500):.2f}"] for c, _ in names)),
        "accounts_20261123.csv": table(
            ["account_number", "account_name", "household_code", "tax_status", "status"], (
                [f"A{n:07d}", f"Account {n}", f"H{n // 2:07d}", "taxable", "open"]
                for n in range(accounts))),
        "tax_lots_20261124.csv": table(
            ["account_number", "cusip", "lot_id", "quantity", "cost_basis", "acquired_date"], (
                [f"A{n // per_account:07d}", names[rng.randrange(security_count)][0],
                 f"L{n % per_account}", f"{rng.randint(1, 500)}",
                 f"{rng.uniform(100, 90000):.2f}",
                 f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]
                for n in range(per_account * accounts))),
    }


BUILD = """
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from rebal.services import firm_create
firm_create(code="BENCH", name="Benchmark", timezone_name="America/New_York",
            admin_email="bench@rebal.test", system_job="bench")
"""

LOAD = """
import json, time, resource, django
django.setup()
BUILD
from pathlib import Path
from rebal.models import Firm
from dataops.services.feeds import Delivery, feed_file_receive_for
firm = Firm.objects.get(code="BENCH")
out = {}
for name in NAMES:
    data = Path(FOLDER, name).read_bytes()
    started = time.perf_counter()
    f = feed_file_receive_for(firm=firm, name=name, data=data,
                              delivery=Delivery(door="cli", delivered_by="bench"))
    from dataops.models import QuarantinedRow
    from rebal.firm_context import firm_context
    with firm_context(firm):
        sample = [q.reason for q in QuarantinedRow.objects.filter(feed_file_id=f.pk)[:3]]
    out[name] = {"status": f.status, "rows": f.rows_loaded, "sample": sample,
                 "seconds": round(time.perf_counter() - started, 2), "error": f.error}
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--securities", type=int, default=500)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_{args.accounts}a_{args.securities}s"
    folder = ROOT / ".rebal" / "bench" / f"{args.accounts}a_{args.lots}l"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "tax_lots_20261124.csv").exists():
        started = time.perf_counter()
        for name, data in files(args.accounts, args.lots, args.securities).items():
            (folder / name).write_bytes(data)
        print(f"generated files in {time.perf_counter() - started:.1f}s")

    def build(urls: DatabaseUrls) -> None:
        setup_names = ["securities_20261123.csv", "prices_20261123.csv",
                       "accounts_20261123.csv"]
        built = in_django(django_env(urls, owner=True),
                          LOAD.replace("BUILD", BUILD).replace("NAMES", repr(setup_names))
                          .replace("FOLDER", repr(str(folder))))
        print(", ".join(f"{name} {info['status']} {info['rows']} rows in {info['seconds']}s"
                        for name, info in built.items() if isinstance(info, dict)))

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        result = in_django(django_env(urls), LOAD.replace("BUILD", "").replace(
            "NAMES", repr(["tax_lots_20261124.csv"])).replace("FOLDER", repr(str(folder))))
    load = result["tax_lots_20261124.csv"]
    assert isinstance(load, dict)
    print(f"tax_lots: {load['rows']:,} lots loaded ({load['status']}) in {load['seconds']} s "
          f"= {int(load['rows'] / load['seconds']):,} lots/s; peak memory "
          f"{result['peak_rss_mb']} MB")
    if load["error"]:
        print(f"error: {load['error']} e.g. {load['sample']}")


if __name__ == "__main__":
    main()
