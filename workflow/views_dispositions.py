"""Dispositions pages: a run's accounts by disposition and oversight list, each with the policy
and version that put it there; the firm's policies with their versions."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Account
from rebal.access import access_object
from rebal.listing import listing
from rebal.views.base import firm_page
from workflow.filters import describe
from workflow.models import (
    AccountDisposition,
    Disposition,
    DispositionPolicy,
    NightlyRun,
    OversightList,
)

DISPOSITION_SORTS = {"account": "account__account_number", "disposition": "disposition",
                     "rule": "rule"}
POLICY_SORTS = {"target": "target", "priority": "priority", "name": "name",
                "approved": "approved_at"}


@firm_page("disposition.view")
def run_dispositions(request: HttpRequest, pk: int) -> HttpResponse:
    run = access_object(NightlyRun, request.user, "disposition.view", pk=pk)
    rows = AccountDisposition.objects.filter(run=run).filter(
        account__in=Account.objects.for_user(request.user, "account.view"))
    counts = dict(rows.values_list("disposition").annotate(n=Count("pk")).order_by())
    lists = {o.value: rows.filter(oversight_lists__contains=[o.value]).count()
             for o in OversightList}
    shown = request.GET.get("disposition", "")
    if shown in Disposition.values:
        rows = rows.filter(disposition=shown)
    elif shown in OversightList.values:
        rows = rows.filter(oversight_lists__contains=[shown])
    return render(request, "workflow/run_dispositions.html", {
        "run": run, "shown": shown,
        **listing(request, rows.select_related("account"), sorts=DISPOSITION_SORTS,
                  search=("account__account_number", "account__name"), per_page=100),
        "counts": [(d.value, d.label, counts.get(d.value, 0)) for d in Disposition],
        "lists": [(o.value, o.label, lists[o.value]) for o in OversightList]})


@firm_page("policy.view")
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = DispositionPolicy.objects.for_user(request.user, "policy.view").select_related(
        "approved_by")
    target = request.GET.get("target", "")
    if target in DispositionPolicy.Target.values:
        policies = policies.filter(target=target)
    shown = listing(request, policies, sorts=POLICY_SORTS, search=("name",))
    return render(request, "workflow/policy_list.html", {
        **shown, "rows": [{"policy": p, "describe": describe(p.query)} for p in shown["page"]],
        "target": target, "targets": DispositionPolicy.Target.choices})
