"""Backup and point-in-time recovery, tested: a private PostgreSQL with continuous WAL
archiving holds a firm; a base backup is taken; more is written; the backup and the archive are
restored into an empty server up to a chosen moment; Rebal runs on the restored server as its
application role and its data checks out (what was committed before the moment is there, what
came after is not, row-level security still isolates firms). docs/operations.md describes the
same procedure for production."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from tests.live import app_environment, free_port
from tests.workflow.factories import demo_feeds
from tests.workflow.private_services import (
    PG_BIN,
    _as_postgres,
    clone_schema,
    private_postgres,
)

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _owned_by_postgres(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(path, postgres.pw_uid, postgres.pw_gid)
    return path


def _on(url: str, *, port: int | None = None, dbname: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if port is None else parts.netloc.rsplit(":", 1)[0] + f":{port}"
    return urlunsplit(parts._replace(netloc=netloc,
                                     path=parts.path if dbname is None else "/" + dbname))


def _sql(url: str, statement: str) -> list[tuple]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(statement)
        rows = cursor.fetchall() if cursor.description else []
    connection.close()
    return rows


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


CHECK = """
import json
from django.db import connection
from django.test import Client
from accounts.models import Account
from rebal.firm_context import firm_context
from rebal.models import Firm
firms = sorted(Firm.objects.values_list("code", flat=True))
with firm_context(Firm.objects.get(code="KEPT")):
    accounts = Account.objects.count()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM accounts_account")
    without_firm = cursor.fetchone()[0]
print(json.dumps({"firms": firms, "accounts": accounts, "without_firm": without_firm,
                  "healthz": Client().get("/healthz").status_code}))
"""


def test_a_base_backup_and_the_wal_archive_restore_to_a_moment(django_db_setup, tmp_path):
    from rebal.dbroles import ensure_database

    work = Path(tempfile.mkdtemp(prefix="rebal-restore-"))
    _owned_by_postgres(work)
    archive = _owned_by_postgres(work / "archive")
    backup = work / "backup"
    restored = work / "restored"
    archiving = (f"-c wal_level=replica -c archive_mode=on -c full_page_writes=on "
                 f"-c archive_command='cp %p {archive}/%f' -c archive_timeout=0")
    session_db = urlsplit(os.environ["REBAL_DATABASE_URL"]).path.lstrip("/")
    feeds = demo_feeds(tmp_path / "feeds", accounts=12, seed=3)
    try:
        with private_postgres(archiving) as source:
            urls = ensure_database(source.admin_url, "rebal")
            admin = _on(source.admin_url, dbname="rebal")
            clone_schema(_on(os.environ["REBAL_ADMIN_DATABASE_URL"], dbname=session_db), admin)
            env = app_environment(REBAL_DATABASE_URL=urls.app)
            _manage(env, "demo_setup", "--code", "KEPT")
            _manage(env, "load_feeds", "--firm", "KEPT", str(feeds))
            loaded = _sql(admin, "SELECT count(*) FROM accounts_account")[0][0]
            assert loaded > 0

            subprocess.run(_as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1",
                                         "-p", str(source.port), "-U", "postgres", "-D",
                                         str(backup), "-X", "none", "--checkpoint=fast"]),
                           check=True, capture_output=True)
            _manage(env, "create_firm", "BEFORE", "--name", "Committed before the moment",
                    "--admin", "before@restore.test")
            time.sleep(1.1)
            moment = _sql(admin, "SELECT now()")[0][0]
            time.sleep(1.1)
            _manage(env, "create_firm", "AFTER", "--name", "Committed after the moment",
                    "--admin", "after@restore.test")
            segment = _sql(admin, "SELECT pg_walfile_name(pg_switch_wal())")[0][0]
            deadline = time.monotonic() + 60
            while not (archive / segment).exists():
                assert time.monotonic() < deadline, f"{segment} was not archived"
                time.sleep(0.2)

        # The source server is gone. Restore into an empty server: the base backup, then the
        # archived WAL replayed up to the moment.
        shutil.copytree(backup, restored)
        (restored / "recovery.signal").touch()
        with (restored / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"restore_command = 'cp {archive}/%f %p'\n"
                       f"recovery_target_time = '{moment.isoformat()}'\n"
                       "recovery_target_action = 'promote'\narchive_mode = off\n")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(restored)], check=True)
        restored.chmod(0o700)
        port = free_port()
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(restored), "-o",
                                     f"-p {port} -k {restored} -c listen_addresses=127.0.0.1",
                                     "-l", str(work / "restored.log"), "-w", "-t", "120",
                                     "start"]), check=True, capture_output=True)
        try:
            admin = _on(admin, port=port)
            deadline = time.monotonic() + 60
            while _sql(admin, "SELECT pg_is_in_recovery()")[0][0]:
                assert time.monotonic() < deadline, "recovery did not finish"
                time.sleep(0.2)
            env = app_environment(REBAL_DATABASE_URL=_on(urls.app, port=port),
                                  REBAL_OWNER_DATABASE_URL=_on(urls.owner, port=port))
            # The schema is whole: nothing for migrate to do.
            _manage(env, "migrate", "--database", "owner", "--check")
            found = json.loads(_manage(env, "shell", "-c", CHECK).strip().splitlines()[-1])
        finally:
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(restored), "-m",
                                         "fast", "-w", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    assert found["firms"] == ["BEFORE", "KEPT"]  # AFTER came after the moment
    assert found["accounts"] == loaded
    assert found["without_firm"] == 0  # the application role is still held by RLS
    assert found["healthz"] == 200
