"""Every role's dashboard and list page, one request at a time, against a 100,000-account firm:
`./run bench pages [--accounts 100000] [--times 30] [--only PATH-PART]`.

The firm is the nightly benchmark's (`./run bench nightly --accounts N --build-only` builds its
template) with what the pages show added, mostly in SQL, built once into a template of its own
(`rebal_bench_pages_<N>a`; `--rebuild` builds it again) and cloned for each run: one stored
analysis per account, five nightly runs that analyzed and sorted every account (1% suspended, 9%
to review, 90% auto-trade; trades for a tenth of the traded accounts, batched by the batch
service for the latest run), advisors named on the accounts (one person assigned 1,000
households), account holds, reconciliation breaks, unknown securities, corporate actions, saved
filters and settings rules; a person per role, and a platform operator. gunicorn serves it (the
demo settings, the application role, 2 workers × 4 threads) on a loopback port.

Each page — each role's dashboard, each list, a sort, a search or filter and a deep page — is
requested `--times` times in a row by its role's signed-in session after one warm-up request.
Prints p50/p95/max per page and the number of queries the page makes (counted once, by
rendering it with Django's test client against the same database). Target: p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import (
    ROOT,
    database_exists,
    django_env,
    in_django,
    template_clone,
    template_ensure,
)
from bench.web_load import _percentile, _serve
from rebal.dbroles import DatabaseUrls

PASSWORD = "bench-pages-password"  # noqa: S105 - a benchmark's throwaway accounts
TARGET_MS = 300
SLOW_S, SLOW_TIMES = 5, 2  # a page slower than this is timed only twice more

# (role, path): each role's dashboard and lists, sorts, searches, filters and a deep page.
PAGES = [
    ("advisor", "/"),
    ("advisor", "/advisor/"),
    ("advisor", "/advisor/?sort=-drift"),
    ("advisor", "/advisor/?q=Account+1&outside=1"),
    ("advisor", "/accounts/"),
    ("advisor", "/households/"),
    ("admin", "/accounts/"),
    ("admin", "/accounts/?sort=-account"),
    ("admin", "/accounts/?q=A00123"),
    ("admin", "/accounts/?page=1000"),
    ("admin", "/households/"),
    ("admin", "/households/?q=H00042"),
    ("ipc", "/ipc/changes/"),
    ("ipc", "/ipc/allocations/?sort=-code"),
    ("ipc", "/ipc/products/"),
    ("ipc", "/ipc/programs/"),
    ("ipc", "/ipc/equivalence-sets/"),
    ("ipc", "/ipc/limits/"),
    ("ipc", "/ipc/subscriptions/"),
    ("overlay", "/overlay/"),
    ("overlay", "/workflow/batches/"),
    ("overlay", "/workflow/batches/?sort=-turnover"),
    ("overlay", "/runs/"),
    ("overlay", "/runs/?sort=date"),
    ("overlay", "/workflow/dispositions/policies/"),
    ("overlay", "/workflow/settings-rules/"),
    ("overlay", "/workflow/filters/"),
    ("compliance", "/compliance/"),
    ("compliance", "/compliance/audit/"),
    ("compliance", "/compliance/audit/?model=accounts.account"),
    ("compliance", "/records/"),
    ("management", "/management/"),
    ("management", "/management/kpis/"),
    ("management", "/management/kpis/?days=90"),
    ("management", "/reports/taxes-saved/"),
    ("management", "/reports/health-check/"),
    ("management", "/reports/runs/"),
    ("data", "/data/"),
    ("data", "/data/feeds/"),
    ("data", "/data/feeds/?status=loaded"),
    ("data", "/data/monitor/"),
    ("data", "/data/holds/"),
    ("data", "/data/holds/?sort=account&q=A0001"),
    ("data", "/data/unknown-securities/"),
    ("data", "/data/corporate-actions/"),
    ("data", "/data/corporate-actions/report/"),
    ("admin", "/administration/"),
    ("admin", "/administration/members/"),
    ("admin", "/administration/teams/"),
    ("admin", "/administration/grants/"),
    ("admin", "/administration/api-tokens/"),
    ("operator", "/operations/firms/"),
    ("operator", "/operations/feeds/"),
    ("operator", "/operations/runs/"),
]

PREPARE = """
import json, os
from datetime import date, timedelta
import django
django.setup()
from django.db import connection
from bench.databases import SYNTHETIC_ANALYSES_SQL
from accounts.models import Account, AccountHold, Household, ReconciliationBreak
from accounts.services.grants import advisor_grant
from dataops.models import CorporateAction, FeedFile, Security, SecurityIdentifier, UnknownSecurity
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context
from rebal.models import Firm, Role, User
from rebal.services import membership_grant, user_ensure
from workflow.models import NightlyRun, SavedFilter, SettingsRule
from workflow.services.batches import batches_create_for_run

password = os.environ["BENCH_PAGES_PASSWORD"]
firm = Firm.objects.get(code="BENCH")
latest = date(2026, 11, 24)
days = [latest - timedelta(days=n) for n in (0, 1, 2, 3, 6)]
roles = {"advisor": Role.ADVISOR, "ipc": Role.IPC, "overlay": Role.OVERLAY_MANAGER,
         "compliance": Role.COMPLIANCE, "management": Role.MANAGEMENT,
         "data": Role.DATA_MANAGER, "admin": Role.FIRM_ADMIN}
with audit_context(system_job="bench"):
    operator = User.objects.create(username="operator@host.test", email="operator@host.test",
                                   is_platform_operator=True)
    operator.set_password(password)
    operator.save()
with firm_context(firm), audit_context(system_job="bench"):
    people = {}
    for key, role in roles.items():
        people[key] = user_ensure(email=f"pages-{key}@bench.test", password=password)
        membership_grant(user=people[key], roles=[role], acting_user=None, system_job="bench")
    for household in Household.objects.order_by("pk")[:1000]:
        advisor_grant(household=household, advisor=people["advisor"], acting_user=None,
                      reason="the benchmark's advisor")
    securities = list(Security.objects.filter(status="active").order_by("pk")
                      .values_list("pk", flat=True)[:2])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_account SET advisor_email = 'advisor' || (id %% 50) "
                       "|| '@bench.test' WHERE firm_id = %s", [firm.pk])
        cursor.execute(
            "UPDATE accounts_account SET advisor_email = 'pages-advisor@bench.test'"
            " WHERE household_id IN (SELECT id FROM accounts_household WHERE firm_id = %s"
            " ORDER BY id LIMIT 1000)",
            [firm.pk])
        for day in days:
            run = NightlyRun.objects.create(business_date=day, trigger="bench",
                                            status=NightlyRun.Status.SUCCEEDED)
            NightlyRun.objects.filter(pk=run.pk).update(finished_at=run.created_at)
            cursor.execute(SYNTHETIC_ANALYSES_SQL, [day, firm.pk])
            cursor.execute(
                "INSERT INTO workflow_runaccount (firm_id, run_id, account_id, status, reason,"
                " analysis_id) SELECT firm_id, %s, account_id, 'analyzed', '', id"
                " FROM optimizer_analysis WHERE firm_id = %s AND trade_date = %s",
                [run.pk, firm.pk, day])
            cursor.execute(
                "INSERT INTO workflow_accountdisposition (firm_id, run_id, account_id, disposition,"
                " rule, oversight_lists, oversight_rules, created_at) SELECT firm_id, %s, id,"
                " CASE WHEN id %% 100 = 0 THEN 'suspend' WHEN id %% 100 < 10 THEN 'review'"
                " ELSE 'auto_trade' END, 'bench', CASE WHEN id %% 200 = 3 THEN"
                " ARRAY['compliance_review'] ELSE ARRAY[]::varchar[] END, '[]', now()"
                " FROM accounts_account WHERE firm_id = %s", [run.pk, firm.pk])
        cursor.execute(
            "INSERT INTO optimizer_proposedtrade (firm_id, analysis_id, security_id, side, shares,"
            " price, value, lots, realized_gain, estimated_tax, reasons, explanation)"
            " SELECT a.firm_id, a.id, s.security_id, s.side, 10, 100, 1000, '[]', 0, 0,"
            " '[\\"drift\\"]', s.side || ' to reduce drift' FROM optimizer_analysis a"
            " CROSS JOIN (VALUES (%s, 'sell'), (%s, 'buy')) s(security_id, side)"
            " WHERE a.firm_id = %s AND a.trade_date = %s AND a.account_id %% 100 <> 0"
            " AND a.account_id %% 10 = 1", [*securities, firm.pk, latest])
    batches = batches_create_for_run(run_id=NightlyRun.objects.get(business_date=latest).pk)
    accounts = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:2000])
    file = FeedFile.objects.filter(feed="tax_lots").order_by("-business_date").first()
    unknown = []
    for n in range(20):
        placeholder = Security.objects.create(name=f"Unknown ZZ{n}", status="placeholder",
                                              ticker=f"ZZ{n}")
        SecurityIdentifier.objects.create(security=placeholder, kind="ticker", value=f"ZZ{n}")
        unknown.append(UnknownSecurity.objects.create(ticker=f"ZZ{n}", placeholder=placeholder,
                                                      first_seen_file=file))
    bulk_create_audited(AccountHold, [AccountHold(
        firm=firm, account_id=pk, kind="data_error", reason="holds an unknown security",
        source=f"unknown_security:{unknown[n % 20].placeholder_id}")
        for n, pk in enumerate(accounts[:500])])
    ReconciliationBreak.objects.bulk_create([ReconciliationBreak(
        firm=firm, account_id=pk, business_date=latest, kind="negative_cash",
        reason="cash is negative") for pk in accounts[500:700]])
    for n in range(10):
        CorporateAction.objects.create(action_id=f"CA-{n}", type="split", ratio_from=1,
                                       ratio_to=2, effective_date=latest + timedelta(days=n))
    for n in range(20):
        SavedFilter.objects.create(name=f"Filter {n}",
                                   query={"field": "status", "op": "eq", "value": "open"})
        SettingsRule.objects.create(name=f"Rule {n}", query={"all": []},
                                    values={"tracking": "loose"})
    counts = {"accounts_total": Account.objects.count(), "batches": batches}
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(json.dumps(counts))
"""

SIZE = """
import json
import django
django.setup()
from accounts.models import Account
from rebal.firm_context import firm_context
from rebal.models import Firm

with firm_context(Firm.objects.get(code="BENCH")):
    print(json.dumps({"accounts_total": Account.objects.count()}))
"""

# Query counts: each page rendered once by Django's test client, signed in as its role.
COUNT_QUERIES = """
import json, os
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rebal.models import User

pages = json.loads(os.environ["BENCH_PAGES"])
clients = {}
counts = []
for role, path in pages:
    if role not in clients:
        clients[role] = Client()
        email = "operator@host.test" if role == "operator" else f"pages-{role}@bench.test"
        clients[role].force_login(User.objects.get(email=email))
        clients[role].get("/")
    with CaptureQueriesContext(connection) as queries:
        status = clients[role].get(path).status_code
    counts.append(len(queries) if status == 200 else -status)
print(json.dumps({"counts": counts}))
"""


def _signed_in(base: str, role: str) -> requests.Session:
    email = "operator@host.test" if role == "operator" else f"pages-{role}@bench.test"
    session = requests.Session()
    session.get(f"{base}/auth/login/", timeout=30)
    response = session.post(f"{base}/auth/login/", timeout=30, allow_redirects=False, data={
        "username": email, "password": PASSWORD,
        "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/auth/login/"})
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} failed: {response.status_code}")
    return session


def _migrate(urls: DatabaseUrls) -> None:
    in_django(django_env(urls, owner=True), "import django\ndjango.setup()\n"
              "from django.core.management import call_command\n"
              "call_command('migrate', database='owner', verbosity=0)\nprint('{}')")


def _prepare(urls: DatabaseUrls) -> dict[str, object]:
    """The nightly firm (a copy of its template) with what the pages show; once, into the
    pages template."""
    _migrate(urls)
    prepared = in_django({**django_env(urls), "DJANGO_SETTINGS_MODULE": "rebal.settings.demo",
                          "BENCH_PAGES_PASSWORD": PASSWORD}, PREPARE)
    print(f"prepared: {prepared}", flush=True)
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=30, help="requests per page")
    parser.add_argument("--only", default="", help="only the pages whose path contains this")
    parser.add_argument("--rebuild", action="store_true",
                        help="build the prepared firm's template again (after changes to what "
                             "preparing writes)")
    args = parser.parse_args()
    pages = [(role, path) for role, path in PAGES if args.only in path]
    nightly = f"rebal_bench_nightly_{args.accounts}a"
    if not database_exists(nightly):
        raise SystemExit(f"no template {nightly}: build it with "
                         f"`./run bench nightly --accounts {args.accounts} --build-only`")
    template = f"rebal_bench_pages_{args.accounts}a"
    template_ensure(template, _prepare, rebuild=args.rebuild, source=nightly)
    with template_clone(template) as urls:
        _migrate(urls)  # today's migrations, on a template built before them
        prepared = in_django(django_env(urls), SIZE)
        counts = in_django({**django_env(urls), "BENCH_PAGES": json.dumps(pages)},
                           COUNT_QUERIES)["counts"]
        print(f"firm of {prepared['accounts_total']:,} accounts; each page {args.times} times "
              f"in a row after a warm-up (a page whose warm-up took over {SLOW_S} s: "
              f"{SLOW_TIMES} times)")
        missed = _measure(urls, pages, counts, args.times)
    print(f"over {TARGET_MS} ms at p95 or not shown (*): {len(missed)}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(json.dumps({"pages": len(pages), "missed": missed}))


def _measure(urls: DatabaseUrls, pages: list[tuple[str, str]], counts: list[int],
             times: int) -> list[str]:
    """Request each page `times` times in a row after a warm-up, printing its line as soon as
    it is measured; the pages that missed the target."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = ROOT / ".rebal" / "bench" / "pages_gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = _serve(urls, port, 2, log)
    base = f"http://127.0.0.1:{port}"
    print(f"{'role':<12}{'page':<40}{'n':>4}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}"
          f"{'queries':>9}", flush=True)
    missed = []
    try:
        sessions = {role: _signed_in(base, role) for role in {role for role, _ in pages}}
        for (role, path), count in zip(pages, counts, strict=True):
            session = sessions[role]
            begun = time.perf_counter()
            first = session.get(base + path, timeout=600, allow_redirects=False)
            warm_up = time.perf_counter() - begun
            if first.status_code != 200:
                print(f"{role:<12}{path:<40}  status {first.status_code}", flush=True)
                missed.append(path)
                continue
            timings = []
            for _ in range(SLOW_TIMES if warm_up > SLOW_S else times):
                begun = time.perf_counter()
                session.get(base + path, timeout=600, allow_redirects=False)
                timings.append((time.perf_counter() - begun) * 1000)
            p95 = _percentile(timings, 0.95)
            print(f"{role:<12}{path:<40}{len(timings):>4}{statistics.median(timings):>8.0f}"
                  f"{p95:>8.0f}{max(timings):>8.0f}{count:>9}"
                  f"{' *' if p95 > TARGET_MS else ''}", flush=True)
            if p95 > TARGET_MS:
                missed.append(path)
        return missed
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
