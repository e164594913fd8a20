"""The real site (gunicorn, the app database role) driven by Debian's headless chromium.

Playwright's sync API leaves an asyncio loop running in the main thread, where Django refuses
database calls; `db_call` therefore runs test-side database work in a short-lived thread.
"""

from __future__ import annotations

import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.live import (
    BIN,
    ROOT,
    LiveFirm,
    app_environment,
    committed,
    create_live_firm,
    free_port,
    start_process,
    stop,
    wait_for,
    worker_command,
)

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


@dataclass(frozen=True)
class LiveSite:
    url: str
    log: Path
    queue: str  # the Celery queue the site sends its tasks to (`site_worker` consumes it)


@pytest.fixture(scope="session")
def db_call(django_db_setup: Any, django_db_blocker: Any) -> Callable[..., Any]:
    """Run `fn()` against the database, committed, in a thread of its own; return its result."""

    def call(fn: Callable[[], T]) -> T:
        from django.db import connection

        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                with committed(django_db_blocker):
                    outcome["value"] = fn()
            except BaseException as error:
                outcome["error"] = error
            finally:
                connection.close()

        thread = threading.Thread(target=target, name="live-db")
        thread.start()
        thread.join(timeout=60)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return call


@pytest.fixture(scope="session")
def firm_a(db_call: Callable[..., Any]) -> LiveFirm:
    return db_call(lambda: create_live_firm("BRWSA"))


@pytest.fixture(scope="session")
def firm_b(db_call: Callable[..., Any]) -> LiveFirm:
    return db_call(lambda: create_live_firm("BRWSB"))


@pytest.fixture(scope="session")
def live_site(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """gunicorn serving rebal.wsgi on a free port; static files from the finders (WhiteNoise)."""
    state = tmp_path_factory.mktemp("site-state")
    (state / "static").mkdir()
    log = state / "gunicorn.log"
    port = free_port()
    queue = f"rebal-browser-{uuid.uuid4().hex[:10]}"
    env = app_environment(REBAL_STATE_DIR=str(state), REBAL_CELERY_QUEUE=queue,
                          DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    assert "REBAL_OWNER_DATABASE_URL" not in env
    process = start_process(
        [str(BIN / "gunicorn"), "rebal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--access-logfile", "-"], env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200,
                 timeout=60, what="gunicorn", process=process, log=log)
        yield LiveSite(url=url, log=log, queue=queue)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def site_worker(live_site: LiveSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A solo Celery worker on the site's own queue (for pages that start background jobs);
    yields its hostname once its heartbeat is seen."""
    from django.conf import settings

    from rebal.worker_heartbeat import live_workers

    hostname = f"{live_site.queue}@localhost"
    log = tmp_path_factory.mktemp("site-worker") / "celery.log"
    env = app_environment(REBAL_CELERY_QUEUE=live_site.queue, REBAL_WORKER_HEARTBEAT_SECONDS="2")
    process = start_process(worker_command(live_site.queue, hostname), env=env, log=log)
    try:
        wait_for(lambda: hostname in live_workers(settings.REDIS_URL), timeout=60,
                 what="celery worker heartbeat", process=process, log=log)
        yield hostname
    finally:
        stop(process)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One headless chromium for the package (Debian's, not Playwright's download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./run test does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_site: LiveSite, firm_a: LiveFirm, firm_b: LiveFirm) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test, on the live site.

    Depends on the firms so that they are committed before the browser's event loop starts.
    """
    context = chromium.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def sign_in(page: Any) -> Callable[[LiveFirm, str], None]:
    """Sign in through the login form as `who` ("advisor" or "admin") of `firm`."""

    def sign_in_as(firm: LiveFirm, who: str) -> None:
        page.goto("/auth/login/")
        page.fill("#id_username", firm.emails[who])
        page.fill("#id_password", firm.password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        if "/auth/login/" in page.url:
            pytest.fail(f"sign-in as {firm.emails[who]} failed: {page.inner_text('body')}")

    return sign_in_as
