"""Dispositions pages: a run's accounts by disposition and oversight list, each with the policy
and version that put it there; the firm's policies with their versions."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Account
from rebal.access import access_object
from rebal.views.base import firm_page
from workflow.filters import describe
from workflow.models import (
    AccountDisposition,
    Disposition,
    DispositionPolicy,
    NightlyRun,
    OversightList,
)


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
    page = Paginator(rows.select_related("account").order_by("account__account_number"),
                     100).get_page(request.GET.get("page"))
    return render(request, "workflow/run_dispositions.html", {
        "run": run, "page": page, "shown": shown,
        "counts": [(d.value, d.label, counts.get(d.value, 0)) for d in Disposition],
        "lists": [(o.value, o.label, lists[o.value]) for o in OversightList]})


@firm_page("policy.view")
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = DispositionPolicy.objects.for_user(request.user, "policy.view").select_related(
        "approved_by")
    return render(request, "workflow/policy_list.html", {
        "rows": [{"policy": p, "describe": describe(p.query)} for p in policies]})
