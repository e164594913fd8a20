"""Private PostgreSQL and Redis servers for the fault tests, on free ports, started and stopped
by the test: the machine's shared servers are never restarted or touched."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.live import free_port, start_process, stop, wait_for

# The server's own folder (initdb, pg_ctl, pg_dump, psql of one version), or REBAL_PG_BIN.
PG_BIN = Path(os.environ.get("REBAL_PG_BIN", "")
              or Path(shutil.which("pg_ctl") or "/usr/bin/pg_ctl").resolve().parent)


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass(frozen=True)
class PrivatePostgres:
    port: int
    data: Path
    server_options: str

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o",
                                     self.server_options, "-l", str(self.data / "server.log"),
                                     "-w", "start"]), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` disconnects every client and shuts down cleanly,
        `immediate` is a crash (recovery from the WAL at the next start)."""
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode,
                                     "-w", "stop"]), check=True, capture_output=True)


@contextmanager
def private_postgres(options: str = "") -> Iterator[PrivatePostgres]:
    """initdb a cluster in a new temporary folder (trust auth, no fsync: it is thrown away),
    start it on a free port bound to 127.0.0.1, yield it, stop it and remove the folder.
    `options` are more server options (`-c name=value …`), which win over these defaults."""
    # Not under pytest's folder: the postgres user must be able to reach it.
    tmp_dir = Path(tempfile.mkdtemp(prefix="rebal-private-pg-"))
    data = tmp_dir / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        for path in (tmp_dir, data):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                                 "-A", "trust", "--no-sync", "-E", "UTF8"]),
                   check=True, capture_output=True)
    port = free_port()
    server = PrivatePostgres(port, data, (
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
        f"-c synchronous_commit=off -c full_page_writes=off {options}"))
    server.start()
    try:
        yield server
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "-w", "stop"]), capture_output=True)
        shutil.rmtree(tmp_dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own on a fixed free port, which the test may restart (nothing is
    persisted: a restart loses every queued message, as a crash would)."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[Any] | None = None

    def start(self) -> None:
        import redis

        log = self.tmp_dir / "redis.log"
        self.process = start_process(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind",
             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.tmp_dir)],
            env=dict(os.environ), log=log)
        wait_for(lambda: redis.Redis.from_url(self.url, socket_timeout=1).ping(), timeout=15,
                 what="private redis-server", process=self.process, log=log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def in_database(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def clone_schema(source_admin_url: str, target_admin_url: str) -> None:
    """Copy the migrated schema (tables, row-level security, grants) of the test session's
    database, with the rows of the tables migrations fill, instead of migrating again."""
    filled = ["django_migrations", "django_content_type", "auth_permission"]
    schema = subprocess.run([str(PG_BIN / "pg_dump"), "--schema-only", source_admin_url],
                            check=True, capture_output=True).stdout
    data = subprocess.run([str(PG_BIN / "pg_dump"), "--data-only",
                           *[f"--table={t}" for t in filled], source_admin_url],
                          check=True, capture_output=True).stdout
    for dump in (schema, data):
        subprocess.run([str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target_admin_url],
                       input=dump, check=True, capture_output=True)
