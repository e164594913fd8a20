"""The advisor's what-if, end to end: `./run bench what_if [--accounts N] [--runs N] [--rebuild]`.

A demo firm (feeds generated from the real S&P 500 data, loaded through the feed framework, the
model book built) is built once into a template database and cloned. The run picks the open
taxable account with the most lots and POSTs a settings change to
`/api/v1/account-analyses/<id>/what-if/` through Django's full request stack in-process (session
authentication, firm context and transaction, validation against the customization limits, the
savepoint, loading the account's inputs, the optimizer, the JSON response), `--runs` times after
one warm-up. It prints the median and the slowest, and how a request splits between loading the
inputs and the optimizer core, and ends with
`what_if_ms=<median> p90_ms=<90th percentile> positions=<n> lots=<n> universe=<n>`.

Needs REBAL_ADMIN_DATABASE_URL naming a role that may create roles and databases (./run sets it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import django_env, in_django, template_clone, template_ensure
from rebal.dbroles import DatabaseUrls

BUSINESS_DATE = "2026-11-24"

BUILD = """
import io, json, tempfile
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
firm, _ = demo_firm_ensure(code="BENCH")
with tempfile.TemporaryDirectory() as folder:
    call_command("make_demo_feeds", folder, "--accounts", "{accounts}", "--seed", "3",
                 "--date", "{date}", stdout=io.StringIO())
    call_command("load_feeds", "--firm", "BENCH", folder, stdout=io.StringIO())
model_book_ensure(firm=firm)
print(json.dumps({{}}))
"""

RUN = """
import json, statistics, time
from datetime import date
import django
django.setup()
from django.db.models import Count
from django.test import Client
from accounts.models import Account, TaxLot
from optimizer.account_inputs import account_inputs
from optimizer.core.analyze import analyze
from rebal.firm_context import firm_context
from rebal.models import Firm, User

as_of = date.fromisoformat("{date}")
firm = Firm.objects.get(code="BENCH")
user = User.objects.get(email="overlay-manager@bench.rebal.test")
with firm_context(firm):
    accounts = Account.objects.filter(status="open", tax_status="taxable").exclude(
        program_code="")
    sizes = (TaxLot.objects.filter(account__in=accounts)
             .values("account").annotate(n=Count("pk")).order_by("-n"))
    account = Account.objects.get(pk=sizes[0]["account"])
    inputs = account_inputs(account, as_of)
client = Client()
client.force_login(user)
url = f"/api/v1/account-analyses/{{account.pk}}/what-if/"
changes = [{{"tracking": "tight"}}, {{"tracking": "loose"}}, {{"tax_sensitivity": "low"}}]
timings, loads, solves = [], [], []
for n in range({runs} + 1):
    started = time.perf_counter()
    response = client.post(url, {{"changes": changes[n % len(changes)], "as_of": "{date}"}},
                           content_type="application/json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content[:500]
    if n:
        timings.append(elapsed * 1000)
    with firm_context(firm):
        started = time.perf_counter()
        loaded = account_inputs(account, as_of)
        middle = time.perf_counter()
        analyze(loaded.snapshot, loaded.target, loaded.settings, loaded.risk,
                **loaded.analyze_kwargs(as_of))
        if n:
            loads.append((middle - started) * 1000)
            solves.append((time.perf_counter() - middle) * 1000)
body = response.json()
timings.sort()
print(json.dumps({{
    "account": account.account_number,
    "positions": len({{l.security for l in inputs.snapshot.lots}}),
    "lots": len(inputs.snapshot.lots), "universe": len(inputs.securities),
    "factors": len(inputs.risk.factors), "trades": len(body["trades"]),
    "median": statistics.median(timings), "p90": timings[int(0.9 * (len(timings) - 1))],
    "slowest": timings[-1], "load": statistics.median(loads),
    "core": statistics.median(solves)}}))
"""


def build(urls: DatabaseUrls, accounts: int) -> None:
    in_django(django_env(urls, owner=True), BUILD.format(accounts=accounts, date=BUSINESS_DATE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"bench_what_if_{args.accounts}"
    template_ensure(template, lambda urls: build(urls, args.accounts), rebuild=args.rebuild)
    with template_clone(template) as urls:
        found = in_django(django_env(urls), RUN.format(date=BUSINESS_DATE, runs=args.runs))
    print(f"account {found['account']}: {found['positions']} positions, {found['lots']} lots, "
          f"{found['universe']} securities in its universe, {found['factors']} factors; "
          f"the what-if proposes {found['trades']} trades")
    print(f"POST what-if over {args.runs} runs: median {found['median']:.1f} ms, "
          f"90th percentile {found['p90']:.1f} ms, slowest {found['slowest']:.1f} ms")
    print(f"of which (medians, measured separately): loading the inputs {found['load']:.1f} ms, "
          f"the optimizer core {found['core']:.1f} ms")
    print(f"what_if_ms={found['median']:.1f} p90_ms={found['p90']:.1f} "
          f"positions={found['positions']} lots={found['lots']} universe={found['universe']}")


if __name__ == "__main__":
    main()
