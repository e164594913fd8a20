"""Dashboard pages and API reads under an open arrival rate, against a 100,000-account firm:
`./run bench web_load [--accounts 100000] [--rate 20] [--seconds 300] [--workers 2]`.

The firm is the nightly benchmark's (`./run bench nightly --accounts N --build-only` builds its
template: households, accounts, lots, prices, the model book), cloned for the run, with one
stored analysis per account added (drift, tracking error, trade metrics), a firm admin who signs
in with a password and an OMS-style API token. gunicorn serves it (the demo settings: production
serving, no second factor) on a free loopback port, as the application role.

Requests arrive on a fixed schedule — `--rate` per second, whatever the server's speed (an open
model: a slow answer does not hold back the next arrival) — mixing pages (account and household
lists and details, home, runs, feeds) and API reads (account lists, details, lots). Each latency
is measured from the request's scheduled time, so queueing counts. Prints p50/p95/max per kind
and for pages and API reads overall, and every error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import ROOT, database_exists, django_env, in_django, template_clone
from rebal.dbroles import DatabaseUrls

PASSWORD = "bench-load-password"  # noqa: S105 - a benchmark's throwaway account

PREPARE = """
import json, os
import django
django.setup()
from django.db import connection
from bench.databases import SYNTHETIC_ANALYSES_SQL
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm, Role, Scope
from rebal.services import api_token_create, membership_grant, user_ensure
from accounts.models import Account, Household

firm = Firm.objects.get(code="BENCH")
with firm_context(firm), audit_context(system_job="bench"):
    user = user_ensure(email="load@bench.test", password=os.environ["BENCH_LOAD_PASSWORD"])
    membership_grant(user=user, roles=[Role.FIRM_ADMIN], acting_user=None, system_job="bench")
    token = api_token_create(name="load", scopes=[Scope.ACCOUNTS_READ], acting_user=user).value
    with connection.cursor() as cursor:
        cursor.execute(SYNTHETIC_ANALYSES_SQL, ["2026-11-24", firm.pk])
    accounts = list(Account.objects.order_by("?").values_list("pk", flat=True)[:5000])
    households = list(Household.objects.order_by("?").values_list("pk", flat=True)[:2000])
    counts = {"accounts_total": Account.objects.count(),
              "households_total": Household.objects.count()}
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(json.dumps({"token": token, "accounts": accounts, "households": households, **counts}))
"""


def _requests(plan: dict, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, audience, path) weighted as a firm's day mixes them: lists, details, API pulls."""
    account = lambda: rng.choice(plan["accounts"])  # noqa: E731
    household = lambda: rng.choice(plan["households"])  # noqa: E731
    account_pages = max(plan["accounts_total"] // 50, 1)
    household_pages = max(plan["households_total"] // 50, 1)
    mix = [
        (20, "page account list", "page",
         lambda: f"/accounts/?page={rng.randint(1, account_pages)}"),
        (20, "page account detail", "page", lambda: f"/accounts/{account()}/"),
        (10, "page household list", "page",
         lambda: f"/households/?page={rng.randint(1, household_pages)}"),
        (5, "page household detail", "page", lambda: f"/households/{household()}/"),
        (5, "page home", "page", lambda: "/"),
        (3, "page runs", "page", lambda: "/runs/"),
        (2, "page feeds", "page", lambda: "/data/feeds/"),
        (15, "api account list", "api",
         lambda: f"/api/v1/accounts/?limit=50&offset={50 * rng.randint(0, account_pages - 1)}"),
        (10, "api account detail", "api", lambda: f"/api/v1/accounts/{account()}/"),
        (10, "api account lots", "api", lambda: f"/api/v1/accounts/{account()}/lots/"),
    ]
    weights = [weight for weight, *_ in mix]
    chosen = rng.choices(mix, weights=weights, k=count)
    return [(kind, audience, path()) for _, kind, audience, path in chosen]


def _signed_in(base: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/auth/login/", timeout=30)
    response = session.post(f"{base}/auth/login/", timeout=30, allow_redirects=False, data={
        "username": "load@bench.test", "password": PASSWORD,
        "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/auth/login/"})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed: {response.status_code} {response.text[-1500:]}")
    return session


def _serve(urls: DatabaseUrls, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"REBAL_OWNER_DATABASE_URL", "REBAL_ADMIN_DATABASE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "rebal.settings.demo", **django_env(urls),
                "REBAL_API_RATE": "1000000/minute", "REBAL_LOG_LEVEL": "WARNING"})
    bin_dir = Path(sys.executable).parent
    process = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "rebal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--threads", "4", "--worker-class", "gthread"],
        env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    return process
            except requests.RequestException:
                time.sleep(0.5)
        raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
    except BaseException:  # interrupted or not up: no server left behind
        process.kill()
        raise


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    template = f"rebal_bench_nightly_{args.accounts}a"
    if not database_exists(template):
        raise SystemExit(f"no template {template}: build it with "
                         f"`./run bench nightly --accounts {args.accounts} --build-only`")
    with template_clone(template) as urls:
        # The demo settings, as the server: the password is hashed the way it will be checked.
        prepared = in_django({**django_env(urls), "DJANGO_SETTINGS_MODULE": "rebal.settings.demo",
                              "BENCH_LOAD_PASSWORD": PASSWORD}, PREPARE)
        _run(urls, prepared, args)


def _run(urls: DatabaseUrls, prepared: dict, args: argparse.Namespace) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = ROOT / ".rebal" / "bench" / "web_load_gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = _serve(urls, port, args.workers, log)
    base = f"http://127.0.0.1:{port}"
    try:
        page_session = _signed_in(base)
        api_session = requests.Session()
        api_session.headers["Authorization"] = f"Token {prepared['token']}"
        for session in (page_session, api_session):
            # A connection per request: no stale keep-alive connections to trip over, and
            # the pool is not the bottleneck of 64 concurrent requests.
            session.headers["Connection"] = "close"
            session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=64))
        total = int(args.rate * args.seconds)
        schedule = _requests(prepared, total, random.Random(20261125))  # noqa: S311 - a mix
        for _, audience, path in schedule[:20]:  # warm-up, not counted
            (page_session if audience == "page" else api_session).get(base + path, timeout=30)
        latencies: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        lock = threading.Lock()
        start = time.perf_counter() + 0.5

        def fire(index: int, kind: str, audience: str, path: str) -> None:
            due = start + index / args.rate
            time.sleep(max(due - time.perf_counter(), 0))
            session = page_session if audience == "page" else api_session
            try:
                response = session.get(base + path, timeout=60, allow_redirects=False)
                failed = response.status_code != 200
                status = str(response.status_code)
            except requests.RequestException as error:
                failed, status = True, type(error).__name__
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies[kind].append(elapsed)
                latencies[audience].append(elapsed)
                if failed:
                    errors.append(f"{status} {path}")

        with ThreadPoolExecutor(max_workers=64) as pool:
            for index, (kind, audience, path) in enumerate(schedule):
                pool.submit(fire, index, kind, audience, path)
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    _report(prepared, args, total, wall, latencies, errors)


def _report(prepared: dict, args: argparse.Namespace, total: int, wall: float,
            latencies: dict[str, list[float]], errors: list[str]) -> None:
    print(f"firm of {prepared['accounts_total']:,} accounts, {prepared['households_total']:,} "
          f"households; {total:,} requests at {args.rate:g}/s over {wall:.0f} s; gunicorn "
          f"{args.workers} workers x 4 threads; load average {os.getloadavg()[0]:.1f}")
    print(f"{'kind':<24}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind in sorted(latencies, key=lambda k: (k not in ("page", "api"), k)):
        values = latencies[kind]
        print(f"{kind:<24}{len(values):>6}{statistics.median(values):>9.0f}"
              f"{_percentile(values, 0.95):>9.0f}{max(values):>9.0f}")
    print(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:20]))
    print(json.dumps({"pages_p95_ms": round(_percentile(latencies["page"], 0.95)),
                      "api_p95_ms": round(_percentile(latencies["api"], 0.95)),
                      "errors": len(errors)}))


if __name__ == "__main__":
    main()
