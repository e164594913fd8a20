"""Process monitoring: the firm's nightly runs, each with its stages, timings, progress,
failures by reason and the accounts not analyzed; a re-run of the failed accounts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rebal.access import access_object
from rebal.audit import audit_context
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page
from workflow.models import NightlyRun, RunAccount
from workflow.selectors import (
    accounts_not_analyzed,
    failures_by_reason,
    run_progress,
    runs_progress,
)
from workflow.services.nightly import nightly_run_rerun_failed

RUN_SORTS = {"date": "business_date", "status": "status", "started": "created_at",
             "finished": "finished_at"}


@firm_page("run.view")
def run_list(request: HttpRequest) -> HttpResponse:
    runs = NightlyRun.objects.for_user(request.user, "run.view")
    status = request.GET.get("status", "")
    if status in NightlyRun.Status.values:
        runs = runs.filter(status=status)
    context = listing(request, runs, sorts=RUN_SORTS, default_sort="-date", per_page=30)
    return render(request, "workflow/run_list.html", {
        **context, "rows": runs_progress(list(context["page"])),
        "status": status, "statuses": NightlyRun.Status.choices})


@firm_page("run.view")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access_object(NightlyRun, request.user, "run.view", pk=pk)
    return render(request, "workflow/run_detail.html", {
        "progress": run_progress(run),
        "failures": failures_by_reason(run),
        "skips": failures_by_reason(run, RunAccount.Status.SKIPPED),
        "not_analyzed": accounts_not_analyzed(run),
        "can_rerun": can(request.user, "run.rerun_failed"),
    })


@require_POST
@firm_page("run.rerun_failed")
def run_rerun_failed(request: HttpRequest, pk: int) -> HttpResponse:
    run = access_object(NightlyRun, request.user, "run.rerun_failed", pk=pk)
    with audit_context(user=request.user, reason="re-run of failed accounts"):
        queued = nightly_run_rerun_failed(run=run, acting_user=request.user)
    messages.info(request, f"{queued} failed account(s) queued for analysis again."
                  if queued else "No account failed in this run.")
    return redirect("run-detail", pk=run.pk)
