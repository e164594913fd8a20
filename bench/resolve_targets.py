"""Resolving effective settings and targets for 100,000 accounts:
`./run bench resolve_targets [--accounts N] [--chunk N] [--rebuild]`.

The firm is built once into a PostgreSQL template database and cloned for each run (CREATE
DATABASE … TEMPLATE …): a model book published the committee's way (asset-class tree, ETF,
mutual-fund and direct-index products, five programs, a child program, approved alternatives,
equivalence sets, customization limits), the accounts loaded through the accounts feed, and
customizations on about a quarter of them (account and household layers, tax entities). A run
times `accounts.targets.resolve_in_chunks` over every account — effective settings with
provenance and security-level targets — with 10% of the accounts covered by a settings rule,
and counts its queries.

Needs DATABASE_URL naming a role that may create roles and databases (./run sets it up).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import (
    ROOT,
    django_env,
    in_django,
    template_clone,
    template_ensure,
)
from rebal.dbroles import DatabaseUrls

PROGRAMS = {"BAL60": 34, "GROWTH80": 26, "EQUITY100": 12, "CONS30": 15, "INCOME": 12,
            "BAL60-MUNI": 1}


def accounts_file(count: int) -> bytes:
    """Accounts in households of two, each household its own tax entity; 0.1% of them name a
    program the firm does not have."""
    rng = random.Random(11)  # noqa: S311 - benchmark data
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["account_number", "account_name", "household_code", "tax_entity",
                     "tax_status", "status", "program"])
    programs, weights = list(PROGRAMS), list(PROGRAMS.values())
    for n in range(count):
        program = "LEGACY" if n % 1000 == 999 else rng.choices(programs, weights)[0]
        writer.writerow([f"A{n:07d}", f"Account {n}", f"H{n // 2:07d}", f"T{n // 2:07d}",
                         "taxable", "open", program])
    return buffer.getvalue().encode()


# The model book, published the committee's way (run first in a fresh database).
MODEL_BOOK = """
import json, random, time
from datetime import date
from decimal import Decimal
from pathlib import Path
import django
django.setup()
from django.core.management import call_command
call_command("migrate", database="owner", verbosity=0)
from accounts.models import Account, AccountSettings, Household, HouseholdSettings
from accounts.models import TaxEntity, TaxEntitySettings
from dataops.models import AssetClass, Security, SecurityIdentifier
from dataops.services.feeds import Delivery, feed_file_receive_for
from models_hub import services as hub
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import firm_create, membership_grant, user_ensure

started = time.perf_counter()
firm = firm_create(code="BENCH", name="Benchmark", timezone_name="America/New_York",
                   admin_email="bench@rebal.test", system_job="bench").firm
TREE = [("EQ", None), ("EQ.US", "EQ"), ("EQ.US.LARGE", "EQ.US"), ("EQ.US.MID", "EQ.US"),
        ("EQ.US.SMALL", "EQ.US"), ("EQ.INTL", "EQ"), ("EQ.INTL.DEV", "EQ.INTL"),
        ("EQ.INTL.EM", "EQ.INTL"), ("FI", None), ("FI.US.AGG", "FI"), ("FI.US.MUNI", "FI"),
        ("RE.US", None), ("CASH", None)]
LEAVES = [c for c, _ in TREE if c.count(".") == 2 or c in ("RE.US", "CASH")]
ALLOCATIONS = {
    "EQUITY100": ("aggressive", {"EQ.US.LARGE": 58, "EQ.US.MID": 10, "EQ.US.SMALL": 8,
                                 "EQ.INTL.DEV": 15, "EQ.INTL.EM": 7, "CASH": 2}),
    "GROWTH80": ("moderately_aggressive", {"EQ.US.LARGE": 44, "EQ.US.MID": 7, "EQ.US.SMALL": 5,
                 "EQ.INTL.DEV": 12, "EQ.INTL.EM": 5, "RE.US": 5, "FI.US.AGG": 20, "CASH": 2}),
    "BAL60": ("moderate", {"EQ.US.LARGE": 33, "EQ.US.MID": 5, "EQ.US.SMALL": 4,
              "EQ.INTL.DEV": 9, "EQ.INTL.EM": 3, "RE.US": 4, "FI.US.AGG": 40, "CASH": 2}),
    "CONS30": ("conservative", {"EQ.US.LARGE": 17, "EQ.US.MID": 3, "EQ.US.SMALL": 2,
               "EQ.INTL.DEV": 5, "RE.US": 3, "FI.US.AGG": 65, "CASH": 5}),
    "INCOME": ("moderately_conservative", {"EQ.US.LARGE": 22, "EQ.INTL.DEV": 5, "RE.US": 8,
               "FI.US.AGG": 60, "CASH": 5}),
}
with firm_context(firm):
    with audit_context(system_job="bench"):
        ipc = user_ensure(email="ipc@bench.test")
        ipc2 = user_ensure(email="ipc2@bench.test")
        for user in (ipc, ipc2):
            membership_grant(user=user, roles=[Role.IPC], acting_user=None, system_job="bench")
        classes = {}
        for code, parent in TREE:
            classes[code] = AssetClass.objects.create(code=code, name=code,
                                                      parent=classes.get(parent))
        securities = bulk_create_audited(Security, [
            Security(firm=firm, name=f"{leaf} {kind}", ticker=f"{leaf.replace('.', '')}{kind}",
                     security_type="etf", asset_class=classes[leaf])
            for leaf in LEAVES for kind in ("E1", "E2", "E3", "F1")] + [
            Security(firm=firm, name=f"Stock {i}", ticker=f"S{i:03d}", security_type="equity",
                     asset_class=classes["EQ.US.LARGE"]) for i in range(500)])
        by_ticker = {s.ticker: s for s in Security.objects.all()}
    def publish(change):
        return hub.model_change_approve(change=change, reason="bench", acting_user=ipc2)
    products = {}
    for leaf in LEAVES:
        key = leaf.replace(".", "")
        for kind, suffix, ticker in (("etf", "ETF", "E1"), ("mutual_fund", "FUND", "F1")):
            products[(leaf, suffix)] = publish(hub.product_propose(
                code=f"{key}_{suffix}", name=f"{leaf} {suffix}", asset_class=classes[leaf],
                kind=kind, weights={by_ticker[key + ticker].pk: "1"},
                effective_date=date(2026, 1, 2), reason="bench", acting_user=ipc)).product
        hub.approved_alternative_add(asset_class=classes[leaf],
                                     product=products[(leaf, "FUND")], reason="bench",
                                     acting_user=ipc)
        hub.equivalence_set_save(code=f"{key}_SET", name=leaf,
                                 securities=[by_ticker[key + t] for t in ("E1", "E2", "E3")],
                                 reason="bench", acting_user=ipc)
    rng = random.Random(5)
    raw = [rng.lognormvariate(0, 1) for _ in range(500)]
    total = sum(raw)
    weights = {by_ticker[f"S{i:03d}"].pk: Decimal(v / total).quantize(Decimal("1e-10"))
               for i, v in enumerate(raw)}
    first = next(iter(weights))
    weights[first] += Decimal(1) - sum(weights.values())
    direct = publish(hub.product_propose(
        code="LARGE_DIRECT", name="Large cap direct index", asset_class=classes["EQ.US.LARGE"],
        kind="direct_index", weights=weights, effective_date=date(2026, 1, 2), reason="bench",
        acting_user=ipc)).product
    hub.approved_alternative_add(asset_class=classes["EQ.US.LARGE"], product=direct,
                                 reason="bench", acting_user=ipc)
    muni = products[("FI.US.MUNI", "ETF")]
    programs = {}
    for code, (profile, percents) in ALLOCATIONS.items():
        allocation = publish(hub.allocation_propose(
            code=code, name=code, risk_profile=profile, reason="bench", acting_user=ipc,
            weights={classes[c].pk: Decimal(p) / 100 for c, p in percents.items()})).allocation
        programs[code] = publish(hub.program_propose(
            code=code, name=code, allocation=allocation, reason="bench", acting_user=ipc,
            products={classes[c].pk: products[(c, "ETF")] for c in percents})).program
    publish(hub.program_propose(
        code="BAL60-MUNI", name="Balanced, municipal bonds", parent=programs["BAL60"],
        tilts={classes["FI.US.MUNI"].pk: "0.40", classes["FI.US.AGG"].pk: "-0.40"},
        products={classes["FI.US.MUNI"].pk: muni}, reason="bench", acting_user=ipc))
    for profile, band in (("conservative", "0.05"), ("moderately_conservative", "0.08"),
                          ("moderate", "0.10"), ("moderately_aggressive", "0.10"),
                          ("aggressive", "0.10")):
        hub.customization_limit_save(name=f"{profile} equity band", risk_profile=profile,
                                     asset_class=classes["EQ"], max_change=band,
                                     reason="bench", acting_user=ipc)
    hub.customization_limit_save(name="cash floor", asset_class=classes["CASH"],
                                 min_weight="0.01", reason="bench", acting_user=ipc)
"""

# The accounts of FOLDER/accounts_20261123.csv, through the accounts feed.
LOAD_ACCOUNTS = """
data = Path(FOLDER, "accounts_20261123.csv").read_bytes()
loaded = feed_file_receive_for(firm=firm, name="accounts_20261123.csv", data=data,
                               delivery=Delivery(door="cli", delivered_by="bench"))
assert loaded.status == "loaded", (loaded.status, loaded.error)
"""

CUSTOMIZE = """
with firm_context(firm), audit_context(system_job="bench", reason="bench customizations"):
    rng = random.Random(9)
    c = {code: str(a.pk) for code, a in classes.items()}
    fund_choice = {c[leaf]: products[(leaf, "FUND")].pk for leaf in
                   ("EQ.US.LARGE", "EQ.US.MID", "EQ.US.SMALL", "EQ.INTL.DEV")}
    variants = [
        {"excluded_asset_classes": [int(c["RE.US"])]},
        {"product_choices": fund_choice},
        {"product_choices": {c["EQ.US.LARGE"]: direct.pk}, "tax_sensitivity": "high",
         "loss_harvesting_minimum": "1000.00"},
        {"allocation_tilts": {c["EQ.US.MID"]: "2", c["EQ.US.LARGE"]: "-2"}},
        {"tracking": "loose", "cash_to_keep": {"unit": "dollars", "amount": "5000.00"},
         "do_not_buy": [by_ticker["S001"].pk, by_ticker["S002"].pk]},
    ]
    accounts = list(Account.objects.order_by("pk").values_list("pk", "program_code"))
    # Each within the limits, as the settings service would have checked (INCOME holds no mid
    # cap to tilt).
    rows = [AccountSettings(firm=firm, account_id=pk, values=rng.choice(
                variants if program != "INCOME" else variants[:3] + variants[4:]))
            for pk, program in accounts if rng.random() < 0.2 and program != "LEGACY"]
    bulk_create_audited(AccountSettings, rows, batch_size=5000)
    households = list(Household.objects.values_list("pk", flat=True))
    bulk_create_audited(HouseholdSettings, [
        HouseholdSettings(firm=firm, household_id=pk, values={
            "tax_sensitivity": "maximum", "do_not_trade": [by_ticker["S003"].pk]})
        for pk in households if rng.random() < 0.1], batch_size=5000)
    entities = list(TaxEntity.objects.values_list("pk", flat=True))
    bulk_create_audited(TaxEntitySettings, [
        TaxEntitySettings(firm=firm, tax_entity_id=pk, values={
            "state_short_term_rate": "9.3", "state_long_term_rate": "9.3"})
        for pk in entities if rng.random() < 0.15], batch_size=5000)
print(json.dumps({"seconds": round(time.perf_counter() - started, 1),
                  "accounts": len(accounts), "customized": len(rows)}))
"""

BUILD = MODEL_BOOK + LOAD_ACCOUNTS + CUSTOMIZE

RUN = """
import json, resource, time
from datetime import date
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import Account, AccountHold
from accounts.settings_catalog import parse_changes
from accounts.settings_resolution import SettingsRule
from accounts.targets import resolve_in_chunks
from rebal.firm_context import firm_context
from rebal.models import Firm
from rebal.audit import audit_context

firm = Firm.objects.get(code="BENCH")
out = {}
with firm_context(firm), audit_context(system_job="bench"):
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    rule = SettingsRule(1, "Platinum clients", parse_changes(
        {"minimum_trade": "500", "trading_approval": "review"}, layer="rule"))
    rules = {pk: [rule] for pk in ids[::10]}
    started = time.perf_counter()
    resolved = ok = securities = 0
    hashes = set()
    with CaptureQueriesContext(connection) as queries:
        for chunk in resolve_in_chunks(ids, date(2026, 11, 24), rules=rules,
                                       chunk_size=CHUNK):
            for item in chunk:
                resolved += 1
                ok += item.target.ok
                securities += len(item.target.securities)
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["queries"] = len(queries.captured_queries)
    out["accounts"] = resolved
    out["resolved_ok"] = ok
    out["security_weights"] = securities
    out["held_unknown_program"] = AccountHold.objects.filter(
        source="program:unknown", cleared_at__isnull=True).count()
    # Hashing every record (as the analysis records will) on a sample, to report its cost.
    sample = ids[:10000]
    started = time.perf_counter()
    for chunk in resolve_in_chunks(sample, date(2026, 11, 24), rules=rules, chunk_size=CHUNK):
        for item in chunk:
            hashes.add(item.settings.content_hash())
            hashes.add(item.target.content_hash())
    out["hash_10k_seconds"] = round(time.perf_counter() - started, 2)
    out["distinct_contents_10k"] = len(hashes)
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    template = f"rebal_bench_targets_{args.accounts}a"
    folder = ROOT / ".rebal" / "bench" / f"targets_{args.accounts}a"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts_20261123.csv").write_bytes(accounts_file(args.accounts))

    def build(urls: DatabaseUrls) -> None:
        built = in_django(django_env(urls, owner=True), BUILD.replace("FOLDER", repr(str(folder))))
        print(f"{built['accounts']:,} accounts, {built['customized']:,} with account-level "
              "customizations")

    template_ensure(template, build, rebuild=args.rebuild)
    with template_clone(template) as urls:
        result = in_django(django_env(urls), RUN.replace("CHUNK", str(args.chunk)))
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    accounts = int(result["accounts"])  # type: ignore[call-overload]
    print(f"resolved settings and targets of {accounts:,} accounts in {seconds} s "
          f"({int(accounts / seconds):,} accounts/s) with {result['queries']} queries; "
          f"{result['resolved_ok']:,} targets resolved, {result['held_unknown_program']} "
          f"accounts held for an unknown program, {result['security_weights']:,} security "
          f"weights; hashing 10,000 records' settings and targets: "
          f"{result['hash_10k_seconds']} s ({result['distinct_contents_10k']} distinct); "
          f"peak memory {result['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
