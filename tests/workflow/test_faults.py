"""Fault tests of the nightly cycle with real Celery workers and beat, on a PostgreSQL and a
Redis of their own (started on free ports here; the machine's servers are never touched):

- a worker killed with SIGKILL in the middle of a run: after a new worker starts, the run
  completes and every eligible account is analyzed or failed exactly once;
- Redis restarted in the middle of a run (every queued message lost): the same;
- PostgreSQL restarted in the middle of a run (every connection of the workers and beat cut,
  transactions in flight rolled back): the same;
- every stage's task delivered again after the run: the database is identical afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import pytest

from tests.live import ROOT, app_environment, start_process, stop, tail, wait_for, worker_command
from tests.workflow.factories import BUSINESS_DATE, demo_feeds
from tests.workflow.private_services import (
    PrivatePostgres,
    PrivateRedis,
    clone_schema,
    in_database,
    private_postgres,
)

pytestmark = [pytest.mark.worker, pytest.mark.slow]

RUN_TIMEOUT = 240
# The sweeper re-queues a chunk no worker holds after this long; beat ticks this often.
STALL_SECONDS, TICK_SECONDS = 4, 2
# Small chunks, so that a run of ~60 accounts has many of them to interrupt.
CHUNK_SIZE = 4


@dataclass
class Stack:
    tmp: Path
    admin_url: str  # the private cluster's superuser, in the Rebal database: sees every row
    app_url: str
    postgres: PrivatePostgres
    redis: PrivateRedis
    queue: str
    env: dict[str, str]
    firms: dict[str, int] = field(default_factory=dict)  # code -> id
    processes: list[subprocess.Popen[Any]] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=self.env,
                                cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start_worker(self, name: str) -> subprocess.Popen[Any]:
        hostname = f"{name}-{uuid.uuid4().hex[:6]}@faults"
        process = start_process(worker_command(self.queue, hostname), env=self.env,
                                log=self.tmp / f"{hostname}.log")
        self.processes.append(process)
        return process

    def start_beat(self) -> subprocess.Popen[Any]:
        process = start_process(
            [str(Path(sys.executable).parent / "celery"), "-A", "rebal", "beat", "-l", "warning",
             "--schedule", str(self.tmp / f"beat-{uuid.uuid4().hex[:6]}")],
            env=self.env, log=self.tmp / "beat.log")
        self.processes.append(process)
        return process

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg2.connect(self.admin_url) as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        connection.close()
        return rows

    def run_of(self, firm: str) -> tuple[int, str] | None:
        rows = self.query("SELECT id, status FROM workflow_nightlyrun WHERE firm_id = %s",
                          (self.firms[firm],))
        return rows[0] if rows else None

    def chunks(self, run_id: int) -> list[tuple[int, str, int]]:
        return self.query("SELECT id, status, times_queued FROM workflow_runchunk "
                          "WHERE run_id = %s ORDER BY number", (run_id,))

    def snapshot(self) -> dict[str, str]:
        """Every table's rows, hashed: equal snapshots mean an identical database."""
        tables = [t for (t,) in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {table: self.query(
            f'SELECT md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), \'\')) '  # noqa: S608
            f'FROM "{table}" t')[0][0] for table in tables}


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory) -> Iterator[Stack]:
    from rebal.dbroles import ensure_database

    tmp = tmp_path_factory.mktemp("faults")
    feeds = demo_feeds(tmp / "feeds", accounts=60, seed=11)
    session_db = urlsplit(os.environ["REBAL_DATABASE_URL"]).path.lstrip("/")
    with private_postgres() as postgres:
        urls = ensure_database(postgres.admin_url, "rebal_faults")
        admin_url = in_database(postgres.admin_url, "rebal_faults")
        clone_schema(in_database(os.environ["REBAL_ADMIN_DATABASE_URL"], session_db),
                     admin_url)
        redis = PrivateRedis(tmp)
        redis.start()
        queue = f"rebal-faults-{uuid.uuid4().hex[:8]}"
        env = app_environment(
            REBAL_DATABASE_URL=urls.app, REDIS_URL=redis.url, REBAL_CELERY_QUEUE=queue,
            REBAL_NIGHTLY_STALL_SECONDS=str(STALL_SECONDS),
            REBAL_NIGHTLY_TICK_SECONDS=str(TICK_SECONDS), REBAL_INBOX_SCAN_SECONDS="3600",
            REBAL_WORKER_HEARTBEAT_SECONDS="2", REBAL_FEED_INBOX=str(tmp / "inbox"),
            REBAL_STATE_DIR=str(tmp / "state"))
        built = Stack(tmp, admin_url, urls.app, postgres, redis, queue, env)
        try:
            for code in ("FAULTKILL", "FAULTREDIS", "FAULTPG"):
                built.manage("demo_setup", "--code", code)
                built.manage("load_feeds", "--firm", code, str(feeds))
                built.manage("demo_model_book", "--firm", code)
                built.manage("shell", "-c", _POLICY.format(code=code, chunk_size=CHUNK_SIZE))
                built.firms[code] = built.query("SELECT id FROM rebal_firm WHERE code = %s",
                                                (code,))[0][0]
            yield built
        finally:
            for process in built.processes:
                stop(process)
            redis.stop()


# Small chunks; not started by the schedule (the tests start their runs themselves).
_POLICY = """
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm
from workflow.models import NightlyPolicy
with firm_context(Firm.objects.get(code="{code}")), audit_context(system_job="tests"):
    NightlyPolicy.objects.create(chunk_size={chunk_size}, is_active=False)
"""


def _start_run(stack: Stack, firm: str) -> int:
    output = stack.manage("run_nightly", "--firm", firm, "--date", BUSINESS_DATE.isoformat())
    assert output.startswith("Started nightly run"), output
    return stack.run_of(firm)[0]


def _wait_for_chunks_done(stack: Stack, run_id: int, count: int) -> None:
    def some_done() -> bool:
        statuses = [status for _, status, _ in stack.chunks(run_id)]
        done = statuses.count("done")
        assert done < len(statuses) or not statuses, "the run finished before the fault"
        return done >= count

    wait_for(some_done, timeout=RUN_TIMEOUT, what="chunks analyzed before the fault")


def _wait_for_finish(stack: Stack, firm: str) -> str:
    def finished() -> str | None:
        _, status = stack.run_of(firm)
        return status if status != "running" else None

    try:
        status = wait_for(finished, timeout=RUN_TIMEOUT, what="the run to finish")
    except TimeoutError as error:
        logs = "\n".join(tail(path) for path in stack.tmp.glob("*@faults.log"))
        raise AssertionError(f"{error}\n{logs}") from error
    if status == "failed":  # say why
        run_id, _ = stack.run_of(firm)
        raise AssertionError(stack.query(
            "SELECT r.error, s.stage, s.status, s.note FROM workflow_nightlyrun r JOIN "
            "workflow_runstage s ON s.run_id = r.id WHERE r.id = %s ORDER BY s.position",
            (run_id,)))
    return status


def _assert_every_eligible_account_once(stack: Stack, firm: str, run_id: int) -> None:
    firm_id = stack.firms[firm]
    accounts = {pk for (pk,) in stack.query(
        "SELECT id FROM accounts_account WHERE firm_id = %s AND status <> 'closed'", (firm_id,))}
    outcomes = stack.query("SELECT account_id, status, analysis_id, reason "
                           "FROM workflow_runaccount WHERE run_id = %s", (run_id,))
    assert sorted(o[0] for o in outcomes) == sorted(accounts)  # each exactly once
    analyzed = [o for o in outcomes if o[1] == "analyzed"]
    assert analyzed, "the demo book has analyzable accounts"
    assert all(o[2] is not None and o[3] == "" for o in analyzed)
    assert all(o[3] for o in outcomes if o[1] != "analyzed"), "every other outcome says why"
    # Never twice: exactly one stored analysis per analyzed account, the one its row names.
    stored = stack.query("SELECT account_id, id FROM optimizer_analysis "
                         "WHERE firm_id = %s AND trade_date = %s", (firm_id, BUSINESS_DATE))
    assert sorted(stored) == sorted((o[0], o[2]) for o in analyzed)
    stages = stack.query("SELECT stage, status FROM workflow_runstage WHERE run_id = %s "
                         "ORDER BY position", (run_id,))
    assert all(status in ("succeeded", "skipped") for _, status in stages), stages


def test_a_worker_killed_mid_run_the_run_completes_after_a_restart(stack):
    stack.start_beat()
    stack.start_worker("steady")
    victim = stack.start_worker("victim")
    # The command starts the run through the workers and follows it to the end.
    log = stack.tmp / "run_nightly.log"
    command = start_process([sys.executable, str(ROOT / "manage.py"), "run_nightly", "--firm",
                             "FAULTKILL", "--date", BUSINESS_DATE.isoformat(), "--wait"],
                            env=stack.env, log=log)
    run_id = wait_for(lambda: (stack.run_of("FAULTKILL") or [None])[0], timeout=RUN_TIMEOUT,
                      what="run_nightly to start the run", process=command, log=log)
    _wait_for_chunks_done(stack, run_id, 2)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    stack.start_worker("replacement")

    assert _wait_for_finish(stack, "FAULTKILL") in ("succeeded", "succeeded_with_failures")
    _assert_every_eligible_account_once(stack, "FAULTKILL", run_id)
    # The chunk the victim held was lost with it, and queued again by the sweeper.
    assert any(times > 1 for _, _, times in stack.chunks(run_id)), stack.chunks(run_id)
    assert command.wait(timeout=30) == 0, tail(log)
    printed = log.read_text()
    assert printed.startswith(f"Started nightly run {run_id} for FAULTKILL 2026-11-24")
    assert "Nightly run 2026-11-24 (FAULTKILL): Succeeded" in printed
    assert "Analyze eligible accounts" in printed and "re-queued)" in printed


def test_redis_restarted_mid_run_the_run_completes(stack):
    if not any(p.poll() is None for p in stack.processes):
        stack.start_beat()
        stack.start_worker("steady")
    run_id = _start_run(stack, "FAULTREDIS")
    _wait_for_chunks_done(stack, run_id, 2)
    stack.redis.stop()  # every queued and unacknowledged message is lost
    time.sleep(2)
    stack.redis.start()

    assert _wait_for_finish(stack, "FAULTREDIS") in ("succeeded", "succeeded_with_failures")
    _assert_every_eligible_account_once(stack, "FAULTREDIS", run_id)
    assert any(times > 1 for _, _, times in stack.chunks(run_id)), stack.chunks(run_id)


def test_postgres_restarted_mid_run_the_run_completes(stack):
    if not any(p.poll() is None for p in stack.processes):
        stack.start_beat()
        stack.start_worker("steady")
    run_id = _start_run(stack, "FAULTPG")
    _wait_for_chunks_done(stack, run_id, 2)
    stack.postgres.stop()  # every connection cut, transactions in flight rolled back
    time.sleep(2)
    stack.postgres.start()

    assert _wait_for_finish(stack, "FAULTPG") in ("succeeded", "succeeded_with_failures")
    _assert_every_eligible_account_once(stack, "FAULTPG", run_id)


def test_every_stage_delivered_again_leaves_the_database_identical(stack):
    from celery import Celery

    for process in stack.processes:  # beat too: nothing else may write meanwhile
        stop(process)
    worker = stack.start_worker("again")
    runs = {firm: stack.run_of(firm) for firm in stack.firms}
    assert all(run is not None and run[1] != "running" for run in runs.values()), runs
    before = stack.snapshot()

    client = Celery("faults", broker=stack.redis.url, backend=stack.redis.url)
    try:
        for firm, (run_id, _) in runs.items():
            firm_id = stack.firms[firm]
            calls = [("workflow.nightly_run_advance", {"run_id": run_id})]
            calls += [("workflow.run_chunk_analyze", {"chunk_id": chunk_id})
                      for chunk_id, _, _ in stack.chunks(run_id)]
            for name, kwargs in calls:
                for _ in range(2):
                    client.send_task(name, kwargs={"firm_id": firm_id, **kwargs},
                                     queue=stack.queue).get(timeout=60)
    finally:
        client.close()
        stop(worker)
    assert stack.snapshot() == before
