"""With its database down, the site answers 503 (asking to retry) instead of failing, and it
recovers by itself when the database is back: the same web process, no restart. The database
is a private server of the test's own, stopped and started again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.live import app_environment
from tests.workflow.private_services import clone_schema, in_database, private_postgres

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

# The web process: answers each line it reads with the status codes of a page and an API read.
WEB = """
import json, sys
import django
django.setup()
from django.test import Client
from rebal.audit import audit_context
from rebal.models import User
admin = User.objects.get(email="admin@down.test")
with audit_context(system_job="tests", reason="as if the admin had chosen a password"):
    admin.password_must_change = False
    admin.save()
client = Client(raise_request_exception=False)
client.force_login(admin)
token = {"HTTP_AUTHORIZATION": "Token " + sys.argv[1]}
for line in sys.stdin:
    page, api = client.get("/"), client.get("/api/v1/me/", **token)
    print(json.dumps({"page": page.status_code, "api": api.status_code,
                      "retry": page.get("Retry-After"), "api_body": api.json()}), flush=True)
"""


def test_the_site_answers_503_while_the_database_is_down_and_recovers(django_db_setup):
    from rebal.dbroles import ensure_database

    session_db = urlsplit(os.environ["REBAL_DATABASE_URL"]).path.lstrip("/")
    with private_postgres() as server:
        urls = ensure_database(server.admin_url, "rebal_down")
        clone_schema(in_database(os.environ["REBAL_ADMIN_DATABASE_URL"], session_db),
                     in_database(server.admin_url, "rebal_down"))
        env = app_environment(REBAL_DATABASE_URL=urls.app)
        for command in (["create_firm", "DOWN", "--name", "Down", "--admin", "admin@down.test"],
                        ["create_api_token", "--firm", "DOWN", "--name", "oms", "--scope",
                         "accounts:read"]):
            printed = subprocess.run([sys.executable, str(ROOT / "manage.py"), *command],
                                     env=env, cwd=ROOT, capture_output=True, text=True,
                                     check=True).stdout
        token = printed.strip().splitlines()[-1]
        web = subprocess.Popen([sys.executable, "-c", WEB, token], cwd=ROOT, text=True, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=(errors := (server.data / "web.log").open("w")))

        def ask() -> dict:
            web.stdin.write("go\n")
            web.stdin.flush()
            line = web.stdout.readline()
            assert line, (server.data / "web.log").read_text()[-3000:]
            return json.loads(line)

        try:
            up = ask()
            server.stop()
            down = ask()
            server.start()
            back = ask()
        finally:
            web.stdin.close()
            web.wait(timeout=30)
            errors.close()

    assert (up["page"], up["api"]) == (200, 200)
    assert (down["page"], down["api"], down["retry"]) == (503, 503, "30")
    assert down["api_body"]["error"]["code"] == "unavailable"
    assert (back["page"], back["api"]) == (200, 200)
