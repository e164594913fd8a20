"""An operator onboards a firm from the page; its admin signs in, its feeds load from the inbox
and its first nightly cycle runs, with no developer. Offboarding stops sign-ins and deletes
nothing; the export holds every row of the firm and none of another's."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import time

import pytest
from django.core.management import call_command
from django.test import Client

from dataops.services.inbox import inbox_scan
from demo.model_book import model_book_ensure
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.firm_export import firm_export
from rebal.models import Firm, User
from tests.workflow.factories import BUSINESS_DATE, demo_feeds
from workflow.models import DispositionPolicy, NightlyPolicy, NightlyRun, RunAccount
from workflow.services.nightly import nightly_run_inline, nightly_run_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    with audit_context(system_job="tests"):
        return User.objects.create(username="ops@host.test", email="ops@host.test",
                                   is_platform_operator=True)


@pytest.fixture
def inbox_root(tmp_path, settings):
    settings.FEED_INBOX = str(tmp_path / "inbox")
    return tmp_path / "inbox"


@pytest.fixture
def onboard(client, django_capture_on_commit_callbacks):
    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return _onboard(client, **overrides)
    return post


def _onboard(client, **overrides):
    form = {"code": "newco", "name": "New Co Wealth", "timezone": "America/Chicago",
            "admin_email": "admin@newco.test", "start_time": "05:45", "deadline_time": "07:30",
            "require_totp": "", "reason": "contract 2026-118"} | overrides
    return client.post("/operations/firms/new/", form)


def test_an_operator_onboards_a_firm_that_then_runs_its_first_cycle(
        client, onboard, operator, inbox_root, tmp_path):
    client.force_login(operator)
    response = onboard()
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    firm = Firm.objects.get(code="NEWCO")
    assert firm.timezone == "America/Chicago" and firm.is_active
    password = page.split('data-testid="one-time-password">')[1].split("<")[0]
    assert (inbox_root / "NEWCO").is_dir()
    with firm_context(firm):
        schedule = NightlyPolicy.objects.get()
        assert (schedule.start_time, schedule.deadline_time) == (time(5, 45), time(7, 30))
        assert DispositionPolicy.objects.filter(is_active=True).count() >= 3
    assert "NEWCO" in client.get("/operations/firms/").content.decode()
    assert "NEWCO" not in client.get("/operations/firms/", {"q": "alice"}).content.decode()

    admin = Client()
    signed_in = admin.post("/auth/login/", {"username": "admin@newco.test", "password": password})
    assert signed_in.status_code == 302
    assert admin.get("/")["Location"] == "/auth/password/"  # their own password first
    admin.post("/auth/password/", {"old_password": password, "new_password1": "newco-admin-42!",
                                   "new_password2": "newco-admin-42!"})
    assert "New Co Wealth" in admin.get("/").content.decode()

    # The firm's files arrive in its inbox; the IPC's model book stands in for the firm's setup.
    feeds = demo_feeds(tmp_path / "feeds", accounts=6, seed=11)
    for path in feeds.iterdir():
        shutil.copy(path, inbox_root / "NEWCO" / path.name)
    with firm_context(firm), audit_context(system_job="tests"):
        received = inbox_scan()
        assert received and all(file.status == "loaded" for file in received), [
            (file.name, file.status) for file in received]
    model_book_ensure(firm=firm)
    with firm_context(firm), audit_context(system_job="tests"):
        started, _ = nightly_run_start(business_date=BUSINESS_DATE, trigger="first cycle")
        run = nightly_run_inline(run=started)
        assert run.status == NightlyRun.Status.SUCCEEDED, run.error
        statuses = set(RunAccount.objects.filter(run=run).values_list("status", flat=True))
    assert "analyzed" in statuses


def test_onboarding_refuses_a_taken_code_and_a_deadline_before_the_start(
        client, onboard, operator, inbox_root):
    client.force_login(operator)
    assert onboard().status_code == 200
    taken = onboard(admin_email="other@newco.test")
    assert taken.status_code == 400 and "already exists" in taken.content.decode()
    backwards = onboard(code="LATER", start_time="08:00", deadline_time="07:00")
    assert backwards.status_code == 400 and "deadline must be after" in backwards.content.decode()
    assert not Firm.objects.filter(code="LATER").exists()
    assert not (inbox_root / "LATER").exists()


def test_offboarding_stops_sign_ins_keeps_the_data_and_needs_a_reason(client, operator,
                                                                       inbox_root, alice_firm):
    client.force_login(operator)
    code = alice_firm.firm.code
    refused = client.post("/operations/firms/offboard/", {"code": code, "reason": " "})
    assert refused.status_code == 400 and "reason is required" in refused.content.decode()
    done = client.post("/operations/firms/offboard/", {"code": code, "reason": "contract ended"})
    assert done.status_code == 302
    firm = Firm.objects.get(code=code)
    assert firm.is_active is False
    assert firm.history.latest().history_change_reason == "contract ended"
    member = Client()
    member.force_login(alice_firm.admin)
    home = member.get("/")
    assert home.status_code == 200 and "No firm yet" in home.content.decode()
    assert alice_firm.firm.name not in home.content.decode()
    with firm_context(firm):
        from accounts.models import Account
        assert Account.objects.filter(pk=alice_firm.account.pk).exists()


def test_the_export_holds_every_row_of_the_firm_and_none_of_another(alice_firm, bob_firm,
                                                                    tmp_path):
    export = firm_export(firm=alice_firm.firm, path=tmp_path / "alice.zip")
    with zipfile.ZipFile(export.path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["firm"]["code"] == alice_firm.firm.code
        accounts = list(csv.DictReader(io.TextIOWrapper(archive.open("accounts_account.csv"))))
        assert {row["account_number"] for row in accounts} == {
            alice_firm.account.account_number, alice_firm.other_account.account_number}
        assert {row["firm_id"] for row in accounts} == {str(alice_firm.firm.pk)}
        members = archive.read("members.csv").decode()
        assert alice_firm.admin.email in members and bob_firm.admin.email not in members
        for entry in manifest["files"]:
            assert entry["rows"] == sum(1 for _ in csv.reader(io.TextIOWrapper(
                archive.open(entry["name"])))) - 1, entry["name"]
    assert len(export.sha256) == 64
    out = io.StringIO()
    call_command("export_firm", alice_firm.firm.code, str(tmp_path / "again.zip"), stdout=out)
    assert "SHA-256" in out.getvalue()
