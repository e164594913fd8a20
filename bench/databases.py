"""What every benchmark needs from PostgreSQL: a firm built once into a template database and
cloned for each run (CREATE DATABASE … TEMPLATE …), and Django code run against a database in
a child process.

Needs REBAL_ADMIN_DATABASE_URL naming a role that may create roles and databases (`./run bench`
sets it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rebal.dbroles import DatabaseUrls, drop_database, ensure_database  # noqa: E402

# SQL expressions over an accounts_account row for the stored analyses of benchmark firms that
# need analyses without running the optimizer (filters, dashboards): before/after metrics with
# six asset classes' drift, and trade metrics.
SYNTHETIC_METRICS_SQL = (
    "jsonb_build_object('value', (20000 + (random() * 2000000)::int)::text,"
    " 'cash', '1000.00', 'tracking_error', random() * 0.05, 'drift',"
    " (SELECT jsonb_agg(jsonb_build_object('asset_class', c, 'weight',"
    " 0.16 + (random() - 0.5) * 0.1, 'target', 0.16)) FROM unnest(ARRAY['EQ.US.LARGE',"
    " 'EQ.US.MID', 'EQ.US.SMALL', 'EQ.INTL.DEV', 'FI.US.AGG', 'CASH']) c))")
SYNTHETIC_TRADE_METRICS_SQL = (
    "jsonb_build_object('turnover', random() * 0.2, 'bought', '0', 'sold', '0',"
    " 'short_term_gains', '0', 'short_term_losses', '0', 'long_term_gains',"
    " (random() * 5000)::int::text, 'long_term_losses', '0', 'estimated_tax',"
    " (random() * 3000 - 500)::int::text, 'losses_harvested', '0', 'trading_cost', '0',"
    " 'cost_benefit_score', random())")
# One synthetic analysis for each of a firm's accounts on a trade date: parameters (trade_date,
# firm_id).
SYNTHETIC_ANALYSES_SQL = (
    "INSERT INTO optimizer_analysis (firm_id, account_id, trade_date, status, summary, before,"
    " after, trade_metrics, relaxations, notes, calibration, solver, sources, created_at)"
    f" SELECT firm_id, id, %s, 'optimal', '', {SYNTHETIC_METRICS_SQL}, {SYNTHETIC_METRICS_SQL},"
    f" {SYNTHETIC_TRADE_METRICS_SQL}, '[]', '[]', '{{}}', '{{}}', '{{}}', now()"
    " FROM accounts_account WHERE firm_id = %s")


def admin_url() -> str:
    return os.environ["REBAL_ADMIN_DATABASE_URL"]


def _execute(statement: sql.Composable, params: list[Any] | None = None) -> Any:
    connection = psycopg2.connect(admin_url())
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone() if cursor.description else None
    finally:
        connection.close()


def database_exists(name: str) -> bool:
    return _execute(sql.SQL("SELECT 1 FROM pg_database WHERE datname = %s"), [name]) is not None


def django_env(urls: DatabaseUrls, *, owner: bool = False) -> dict[str, str]:
    """The environment of a Django process on the database `urls` name (as the app role; with
    the owner role's URL too when `owner`, for migrations)."""
    env = {"REBAL_DATABASE_URL": urls.app}
    if owner:
        env["REBAL_OWNER_DATABASE_URL"] = urls.owner
    return env


def in_django(database_urls: dict[str, str], code: str) -> dict[str, object]:
    """Run `code` in a child Python process set up for Django on those databases; it prints a
    JSON object as its last line, which is returned."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rebal.settings.test", **database_urls}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"benchmark step failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def analyze(name: str) -> None:
    """Planner statistics for a freshly loaded database, as autovacuum would gather them."""
    connection = psycopg2.connect(urlunsplit(urlsplit(admin_url())._replace(path="/" + name)))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    finally:
        connection.close()


def template_ensure(name: str, build: Callable[[DatabaseUrls], Any], *,
                    rebuild: bool = False, source: str = "") -> Any:
    """Build the template database `name` with `build(urls)` unless it exists (or `rebuild`),
    starting empty or from a copy of the template `source`. It is built under another name
    and renamed once complete, so a failed build leaves no template. Returns what `build`
    returned, or None when the template was already there."""
    if database_exists(name) and not rebuild:
        return None
    started = time.perf_counter()
    building = f"{name}_building"
    if source:
        drop_database(admin_url(), building)
        _execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(building),
                                                                  sql.Identifier(source)))
    result = build(ensure_database(admin_url(), building, recreate=not source))
    analyze(building)
    drop_database(admin_url(), name)
    _execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building),
                                                              sql.Identifier(name)))
    print(f"built template {name} in {time.perf_counter() - started:.1f}s")
    return result


@contextmanager
def template_clone(template: str) -> Iterator[DatabaseUrls]:
    """A fresh copy of `template` for one run, dropped afterwards."""
    clone = f"{template}_run"
    drop_database(admin_url(), clone)
    started = time.perf_counter()
    _execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(clone),
                                                              sql.Identifier(template)))
    print(f"cloned the template in {time.perf_counter() - started:.1f}s")
    try:
        yield ensure_database(admin_url(), clone)
    finally:
        drop_database(admin_url(), clone)
