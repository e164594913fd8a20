"""The committee's drafts: proposing a change to an allocation or product (a draft, whose impact
preview across the book starts with it), the draft's page with the preview's progress (polled
by htmx while it runs) and per-account results, and its approval or rejection by a second
member. Here rather than in models_hub because a draft's page shows the workflow's preview."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dataops.models import AssetClass, Security
from models_hub.models import AssetAllocation, ModelChange, SecurityModel
from models_hub.services import (
    allocation_propose,
    model_change_reject,
    model_change_withdraw,
    product_propose,
)
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page
from workflow.models import ImpactPreview, ImpactPreviewAccount
from workflow.services.impact import (
    change_approve_with_impact,
    impact_preview_request,
    latest_preview,
)

ROW_SORTS = {"tax": "-estimated_tax", "turnover": "-turnover_value", "gain": "-realized_gain",
             "change": "-largest_change", "account": "account__account_number"}
HUNDRED = Decimal(100)


def _percent_field(raw: str, what: str) -> Decimal:
    try:
        return Decimal(raw or "0") / HUNDRED
    except InvalidOperation:
        raise ValidationError(f"{what}: {raw!r} is not a percentage.") from None


def _propose_and_preview(request: HttpRequest, propose: Any) -> ModelChange:
    with transaction.atomic():
        change = propose()
        impact_preview_request(change=change, acting_user=request.user)
    return change


@require_http_methods(["GET", "POST"])
@firm_page("model.edit")
def allocation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = access_object(AssetAllocation, request.user, "model.edit", pk=pk)
    current = {w.asset_class_id: w.weight for w in allocation.weights.all()}
    classes = list(AssetClass.objects.filter(children__isnull=True).order_by("code")
                   .distinct()) or list(AssetClass.objects.order_by("code"))
    values = {ac.pk: request.POST.get(f"weight_{ac.pk}", f"{current.get(ac.pk, 0) * 100:g}")
              for ac in classes}
    problems: list[str] = []
    if request.method == "POST":
        try:
            weights = {pk: _percent_field(v, f"weight of {ac.code}")
                       for ac in classes for pk, v in [(ac.pk, values[ac.pk])]}
            change = _propose_and_preview(request, lambda: allocation_propose(
                code=allocation.code, name=allocation.name,
                risk_profile=allocation.risk_profile, description=allocation.description,
                weights={k: w for k, w in weights.items() if w}, reason=request.POST.get(
                    "reason", ""), acting_user=request.user, allocation=allocation))
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, "Draft saved; its impact on the book is being previewed.")
            return redirect("ipc-change-detail", pk=change.pk)
    return render(request, "workflow/ipc_allocation_edit.html", {
        "allocation": allocation, "rows": [(ac, values[ac.pk]) for ac in classes],
        "reason": request.POST.get("reason", ""), "problems": problems},
        status=400 if problems else 200)


def _product_weights(text: str) -> dict[int, Decimal]:
    """Lines of 'TICKER percent' as {security id: fraction}."""
    pairs = [line.split() for line in text.splitlines() if line.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValidationError("Write one security a line: its ticker and its weight in percent.")
    found = dict(Security.objects.filter(ticker__in=[t for t, _ in pairs])
                 .values_list("ticker", "pk"))
    unknown = [t for t, _ in pairs if t not in found]
    if unknown:
        raise ValidationError(f"Unknown ticker(s): {', '.join(unknown)}.")
    return {found[t]: _percent_field(w, t) for t, w in pairs}


@require_http_methods(["GET", "POST"])
@firm_page("model.edit")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = access_object(SecurityModel, request.user, "model.edit", pk=pk)
    version = product.versions.order_by("-as_of_date", "-pk").first()
    current = "\n".join(f"{w.security.ticker} {w.weight * 100:g}" for w in
                        version.weights.select_related("security").order_by("-weight")
                        ) if version else ""
    text = request.POST.get("weights", current)
    problems: list[str] = []
    if request.method == "POST":
        try:
            if product.asset_class is None:
                raise ValidationError("The product has no asset class yet.")
            weights = _product_weights(text)
            change = _propose_and_preview(request, lambda: product_propose(
                code=product.code, name=product.name, asset_class=product.asset_class,
                kind=product.kind, weights=weights, provider=product.provider,
                reason=request.POST.get("reason", ""), acting_user=request.user,
                product=product))
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, "Draft saved; its impact on the book is being previewed.")
            return redirect("ipc-change-detail", pk=change.pk)
    return render(request, "workflow/ipc_product_edit.html", {
        "product": product, "weights": text, "reason": request.POST.get("reason", ""),
        "problems": problems}, status=400 if problems else 200)


def _change_context(request: HttpRequest, change: ModelChange,
                    problems: list[str] | None = None) -> dict[str, Any]:
    preview = latest_preview(change)
    sort = request.GET.get("sort", "tax")
    sort = sort if sort in ROW_SORTS else "tax"
    rows = (ImpactPreviewAccount.objects.filter(preview=preview).select_related("account")
            .order_by(ROW_SORTS[sort], "pk") if preview else ImpactPreviewAccount.objects.none())
    if request.GET.get("breaching"):
        rows = rows.filter(breaches_budget=True)
    running = preview is not None and preview.status in (ImpactPreview.Status.QUEUED,
                                                          ImpactPreview.Status.RUNNING)
    user_id = getattr(request.user, "pk", None)
    decidable = change.status == ModelChange.Status.DRAFT and can(request.user, "model.approve")
    return {"change": change, "preview": preview, "running": running, "sort": sort,
            "sorts": list(ROW_SORTS), "breaching": bool(request.GET.get("breaching")),
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "query": f"sort={sort}" + ("&breaching=1" if request.GET.get("breaching") else ""),
            "is_author": change.author_id == user_id, "may_decide": decidable,
            "may_preview": (change.status == ModelChange.Status.DRAFT and not running
                            and can(request.user, "model.edit")
                            and change.kind in ("allocation", "product")),
            "problems": problems or []}


@firm_page("model.view")
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = access_object(ModelChange, request.user, "model.view", pk=pk)
    context = _change_context(request, change)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "workflow/_ipc_impact.html", context)
    return render(request, "workflow/ipc_change.html", context)


@require_POST
@firm_page("model.edit")
def change_preview(request: HttpRequest, pk: int) -> HttpResponse:
    change = access_object(ModelChange, request.user, "model.edit", pk=pk)
    try:
        impact_preview_request(change=change, acting_user=request.user)
    except ValidationError as error:
        return render(request, "workflow/ipc_change.html",
                      _change_context(request, change, error.messages), status=400)
    return redirect("ipc-change-detail", pk=change.pk)


@require_POST
@firm_page("model.approve")
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = access_object(ModelChange, request.user, "model.approve", pk=pk)
    decision, reason = request.POST.get("decision", ""), request.POST.get("reason", "")
    deciders = {"approve": change_approve_with_impact, "reject": model_change_reject,
                "withdraw": model_change_withdraw}
    try:
        if decision not in deciders:
            raise ValidationError("Approve, reject or withdraw the draft.")
        deciders[decision](change=change, reason=reason, acting_user=request.user)
    except ValidationError as error:
        change.refresh_from_db()
        return render(request, "workflow/ipc_change.html",
                      _change_context(request, change, error.messages), status=400)
    messages.success(request, {"approve": "Approved and published.", "reject": "Rejected.",
                               "withdraw": "Withdrawn."}[decision])
    return redirect("ipc-change-detail", pk=change.pk)
