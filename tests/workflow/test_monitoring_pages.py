"""Process monitoring: the run pages for the firm's roles, the re-run of failed accounts, and
the platform operator's page across firms without client data."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import User
from rebal.services import membership_grant, user_ensure
from tests.html_text import texts
from tests.workflow.factories import nightly_run_row
from workflow.models import RunAccount, RunChunk, RunStage

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _person(firm, role: str):
    with audit_context(system_job="tests"), firm_context(firm):
        user = user_ensure(email=f"{role}@{firm.code.lower()}.test", password="correct-horse-9")
        membership_grant(user=user, roles=[role], acting_user=None, system_job="tests")
    return user


def test_the_overlay_manager_sees_stages_failures_and_re_runs_the_failed_accounts(
        alice_firm, django_capture_on_commit_callbacks):
    run = nightly_run_row(alice_firm)
    client = _client(alice_firm.overlay_manager)
    [row] = texts(client.get(reverse("run-list")).content.decode(), "run-row")
    assert row.startswith("2026-11-24") and "0 analyzed · 1 failed · 0 skipped" in row
    page = client.get(reverse("run-detail", kwargs={"pk": run.pk})).content.decode()
    assert texts(page, "failures-by-reason") == ["Reason Accounts ALICE solver gave up 1"]
    [account] = texts(page, "account-not-analyzed")
    assert account.startswith(alice_firm.account.account_number)
    assert account.endswith("Failed ALICE solver gave up")
    stages = texts(page, "run-stage")
    assert len(stages) == 7 and all("Succeeded" in stage for stage in stages)
    assert texts(page, "rerun-failed") == ["Re-run the failed accounts"]

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("run-rerun-failed", kwargs={"pk": run.pk}))
    assert response.status_code == 302
    assert len(queued) == 1  # the new chunk's task, sent once the transaction commits
    with firm_context(alice_firm.firm):
        assert not RunAccount.objects.filter(run=run).exists()
        chunk = RunChunk.objects.get(run=run)
        assert chunk.account_ids == [alice_firm.account.pk]
        assert "overlay_manager@alice.test" in chunk.purpose
        stages = dict(RunStage.objects.filter(run=run).values_list("stage", "status"))
        run.refresh_from_db()
    assert run.status == "running" and run.finished_at is None
    assert stages["analyze"] == "running"
    assert [stages[s] for s in ("fees", "sort", "notify")] == ["pending"] * 3
    assert [stages[s] for s in ("feeds", "corporate_actions", "targets")] == ["succeeded"] * 3


def test_who_may_see_and_re_run(alice_firm):
    run = nightly_run_row(alice_firm)
    detail = reverse("run-detail", kwargs={"pk": run.pk})
    rerun = reverse("run-rerun-failed", kwargs={"pk": run.pk})
    management = _person(alice_firm.firm, "management")
    assert _client(management).get(detail).status_code == 200
    assert "Re-run the failed accounts" not in _client(management).get(detail).content.decode()
    assert _client(management).post(rerun).status_code == 404
    assert _client(alice_firm.advisor).get(reverse("run-list")).status_code == 403
    assert _client(alice_firm.advisor).get(detail).status_code == 404
    with firm_context(alice_firm.firm):
        assert RunAccount.objects.filter(run=run, status="failed").count() == 1


def test_the_operator_sees_every_firms_runs_but_no_client_data(alice_firm, bob_firm):
    alice_run, bob_run = nightly_run_row(alice_firm), nightly_run_row(bob_firm)
    with audit_context(system_job="tests"):
        operator = User.objects.create(username="ops@host.test", email="ops@host.test",
                                       is_platform_operator=True)
    page = _client(operator).get(reverse("operations-runs")).content.decode()
    sections = {text.split()[0]: text for text in texts(page, "operations-firm")}
    for firm in (alice_firm, bob_firm):
        text = sections[firm.firm.code]
        assert "0 analyzed · 1 failed · 0 skipped" in text
        assert "accounts 2" in text  # the stages' counts
        assert firm.account.account_number not in page
        assert f"{firm.firm.code} solver gave up" not in page
    assert alice_run.pk != bob_run.pk
    assert _client(alice_firm.admin).get(reverse("operations-runs")).status_code == 404
