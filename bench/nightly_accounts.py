"""Per-account CPU time of the nightly analyze stage, by kind of account:
`./run bench nightly_accounts [--accounts 2000] [--sample 600]`.

Clones the template database of `bench/nightly.py` (built by it: `./run bench nightly --accounts
N --build-only`), loads a sample of its accounts with `optimizer.chunk_inputs` and, one account
at a time in one process, measures the CPU time (`time.process_time`, so other processes on the
cores distort it less than wall time) of `analyze` and of the tax-naive shadow, as
`chunk_analyze` runs them. Reports, per kind (model/ETF, direct-index; trading or not), the
count, the mean and the 90th percentile, OSQP's iterations, and the night's solving CPU for
100,000 accounts of that mix at those means.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import django_env, in_django, template_clone
from bench.nightly import BUSINESS_DATE, MIGRATE

MEASURE = """
import json, random, time
from datetime import date
import django
django.setup()
from accounts.models import Account
from optimizer.chunk_analysis import _naive
from optimizer.chunk_inputs import chunk_inputs
from optimizer.core.analyze import analyze
from rebal.firm_context import firm_context
from rebal.models import Firm

as_of = date.fromisoformat("DAY")
firm = Firm.objects.get(code="BENCH")
samples = {}
with firm_context(firm):
    ids = list(Account.objects.filter(status="open").order_by("pk").values_list("pk", flat=True))
    chosen = sorted(random.Random(1).sample(ids, min(SAMPLE, len(ids))))
    for start in range(0, len(chosen), 250):
        for item in chunk_inputs(chosen[start:start + 250], as_of):
            if item.inputs is None:
                continue
            inputs = item.inputs
            kind = "direct" if len(inputs.snapshot.lots) > 100 else "model"
            begun = time.process_time()
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(as_of))
            solved = time.process_time()
            naive = 0.0
            if result.trades:
                _naive(inputs, result, as_of, ())
                naive = time.process_time() - solved
            key = kind + (" trading" if result.trades else " quiet")
            samples.setdefault(key, []).append(
                [solved - begun, naive, result.solver.iterations, len(inputs.snapshot.lots)])
print(json.dumps(samples))
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=600)
    args = parser.parse_args()
    os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    with template_clone(f"rebal_bench_nightly_{args.accounts}a") as urls:
        in_django(django_env(urls, owner=True), MIGRATE)
        samples = in_django(django_env(urls), MEASURE.replace("DAY", BUSINESS_DATE)
                            .replace("SAMPLE", str(args.sample)))
    total = sum(len(rows) for rows in samples.values())
    night = 0.0
    print(f"{'kind':<18}{'n':>5}{'lots':>6}{'analyze ms':>12}{'p90':>8}{'shadow ms':>11}"
          f"{'p90':>8}{'iterations':>12}")
    for kind in sorted(samples):
        rows = samples[kind]
        assert isinstance(rows, list)
        analyze_ms = [row[0] * 1e3 for row in rows]
        shadow_ms = [row[1] * 1e3 for row in rows]
        mean = sum(analyze_ms) / len(rows) + sum(shadow_ms) / len(rows)
        night += mean / 1e3 * len(rows) / total * 100_000
        print(f"{kind:<18}{len(rows):>5}{sum(r[3] for r in rows) // len(rows):>6}"
              f"{sum(analyze_ms) / len(rows):>12.1f}{_percentile(analyze_ms, 0.9):>8.1f}"
              f"{sum(shadow_ms) / len(rows):>11.1f}{_percentile(shadow_ms, 0.9):>8.1f}"
              f"{sum(r[2] for r in rows) / len(rows):>12.0f}")
    print(f"solving CPU for 100,000 accounts of this mix: {night:,.0f} s "
          f"({night / 2 / 60:.1f} min on two cores)")


if __name__ == "__main__":
    main()
