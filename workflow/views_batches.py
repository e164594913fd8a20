"""Trade review pages: the overlay manager's queue of batches, a batch page to edit trades
(with reasons), approve or reject, record a non-discretionary client's consent and release,
and the firm's release controls (the switch and the order limit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page
from workflow.models import BatchStatus, BatchTrade, ClientConsent, TradeBatch, TradeEvent
from workflow.selectors_overlay import batches_sorted, batches_with_metrics
from workflow.services.batches import (
    accounts_needing_consent,
    batch_approve,
    batch_editors,
    batch_reject,
    batch_trade_edit,
    client_consent_record,
)
from workflow.services.release import batch_release, release_control, release_control_update

QUEUED = (BatchStatus.PENDING_REVIEW, BatchStatus.APPROVED)
QUEUE_PER_PAGE = 50
EDITOR_MAY_NOT_APPROVE = "You edited this batch; another person must approve it."


def _attempt(request: HttpRequest, work: Callable[[], Any], done: str) -> None:
    """Run a service; its refusal becomes the page's message, in the service's words."""
    try:
        work()
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, done)


def plain(value: Decimal) -> str:
    """A number as written, without trailing zeros or an exponent: 30.000000 → "30"."""
    return f"{value.normalize():f}"


def lots_text(lots: list[dict[str, Any]]) -> str:
    """A sell's lots as the page shows and takes them: "L1:20, L2:5"."""
    return ", ".join(f"{lot['lot_id']}:{plain(Decimal(str(lot['shares'])))}"
                     for lot in lots)


def lots_parse(text: str) -> list[dict[str, str]]:
    lots = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        lot_id, _, shares = part.partition(":")
        if not lot_id.strip() or not shares.strip():
            raise ValidationError(f"Lots are written LOT:SHARES, separated by commas, not "
                                  f"{part!r}.")
        lots.append({"lot_id": lot_id.strip(), "shares": shares.strip()})
    if not lots:
        raise ValidationError("A sell needs at least one lot (or leave the lots unchanged).")
    return lots


def kept_query(request: HttpRequest, *dropped: str) -> str:
    """The query string without `dropped`, for links that change only those parameters."""
    return urlencode([(key, value) for key, value in request.GET.items()
                      if value and key not in dropped])


def queue_context(request: HttpRequest, batches: Any, *, per_page: int) -> dict[str, Any]:
    """One page of `batches` with their metrics, sorted by the `sort` column in the database,
    and the query strings its sort and page links keep."""
    rows, sort = batches_sorted(batches_with_metrics(batches), request.GET.get("sort", ""))
    paginator = Paginator(rows, per_page)
    return {"page": paginator.get_page(request.GET.get("page")),
            "sort": sort, "sort_query": kept_query(request, "sort", "page"),
            "query": kept_query(request, "page")}


@firm_page("batch.review")
def batch_queue(request: HttpRequest) -> HttpResponse:
    waiting = TradeBatch.objects.for_user(request.user, "batch.review").filter(status__in=QUEUED)
    recent = (TradeBatch.objects.for_user(request.user, "batch.review")
              .exclude(status__in=QUEUED).select_related("run")
              .order_by("-run__business_date", "-pk")[:20])
    return render(request, "workflow/batch_queue.html", {
        **queue_context(request, waiting, per_page=QUEUE_PER_PAGE),
        "show_status": True,
        "recent": recent, "control": release_control(),
        "can_control": can(request.user, "release_control.manage")})


@firm_page("batch.review")
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(TradeBatch, request.user, "batch.review", pk=pk)
    trades = list(BatchTrade.objects.filter(batch=batch).select_related("account", "security")
                  .order_by("account__account_number", "side", "pk"))
    consents = {c.account_id: c for c in ClientConsent.objects.filter(batch=batch)
                .select_related("recorded_by")}
    needing = set(accounts_needing_consent(batch))
    accounts: dict[int, dict[str, Any]] = {}
    for trade in trades:
        entry = accounts.setdefault(trade.account_id, {
            "account": trade.account, "trades": [], "consent": consents.get(trade.account_id),
            "needs_consent": trade.account_id in needing})
        trade.lots_text = lots_text(trade.lots)  # type: ignore[attr-defined]
        trade.shares_text = plain(trade.shares)  # type: ignore[attr-defined]
        trade.price_text = plain(trade.price)  # type: ignore[attr-defined]
        entry["trades"].append(trade)
    editable = batch.status in (BatchStatus.PROPOSED, BatchStatus.PENDING_REVIEW)
    approver = batch.status == BatchStatus.PENDING_REVIEW and can(request.user, "batch.approve")
    edited = request.user.pk in batch_editors(batch)
    return render(request, "workflow/batch_detail.html", {
        "batch": batch, "accounts": list(accounts.values()),
        "events": TradeEvent.objects.filter(batch=batch).exclude(kind="disposition")
        .select_related("actor_user", "actor_token").order_by("-created_at", "-pk")[:50],
        "editable": editable and can(request.user, "batch.edit"),
        "can_approve": approver and not edited,
        # Four eyes: the editor is told why the approval is not theirs to give.
        "approval_refused": EDITOR_MAY_NOT_APPROVE if approver and edited else "",
        "can_release": batch.status == BatchStatus.APPROVED and can(request.user,
                                                                    "batch.release"),
        "can_consent": batch.status in QUEUED and can(request.user, "batch.consent"),
        "control": release_control(), "methods": ClientConsent.Method.choices})


@require_POST
@firm_page("batch.edit")
def batch_trade_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    trade = access_object(BatchTrade, request.user, "batch.edit", pk=pk)
    drop = request.POST.get("drop") == "1"
    shares = None if drop else request.POST.get("shares") or None
    written = request.POST.get("lots", "").strip()

    def edit() -> None:
        lots = None
        if not drop and trade.side == "sell" and written != lots_text(trade.lots):
            lots = lots_parse(written)
        batch_trade_edit(trade=trade, shares=shares, lots=lots, drop=drop,
                         reason=request.POST.get("reason", ""), acting_user=request.user)
    _attempt(request, edit, "Trade dropped." if drop else "Trade changed.")
    return redirect("batch-detail", pk=trade.batch_id)


@require_POST
@firm_page("batch.approve")
def batch_approve_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(TradeBatch, request.user, "batch.approve", pk=pk)
    reason = request.POST.get("reason", "")
    if request.POST.get("decision") == "reject":
        _attempt(request, lambda: batch_reject(batch=batch, reason=reason,
                                               acting_user=request.user), "Batch rejected.")
    else:
        _attempt(request, lambda: batch_approve(batch=batch, reason=reason,
                                                acting_user=request.user), "Batch approved.")
    return redirect("batch-detail", pk=batch.pk)


@require_POST
@firm_page("batch.consent")
def batch_consent_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(TradeBatch, request.user, "batch.consent", pk=pk)

    def record() -> None:
        try:
            account_id = int(request.POST.get("account", ""))
            obtained = datetime.fromisoformat(request.POST.get("obtained_at", ""))
        except ValueError:
            raise ValidationError("Choose the account and when consent was obtained.") from None
        if timezone.is_naive(obtained):
            obtained = timezone.make_aware(obtained)
        client_consent_record(batch=batch, account_id=account_id,
                              method=request.POST.get("method", ""), obtained_at=obtained,
                              note=request.POST.get("note", ""), acting_user=request.user)
    _attempt(request, record, "Consent recorded.")
    return redirect("batch-detail", pk=batch.pk)


@require_POST
@firm_page("batch.release")
def batch_release_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access_object(TradeBatch, request.user, "batch.release", pk=pk)
    _attempt(request, lambda: batch_release(batch=batch, acting_user=request.user),
             "Batch released to the OMS.")
    return redirect("batch-detail", pk=batch.pk)


@firm_page("release_control.manage")
def release_control_page(request: HttpRequest) -> HttpResponse:
    """The switch and the order limit: shown, and changed with a reason."""
    if request.method != "POST":
        return render(request, "workflow/release_control.html",
                      {"control": release_control(), "can_control": True})

    def update() -> None:
        raw = request.POST.get("max_order_value", "").strip()
        try:
            limit = Decimal(raw) if raw else None
        except InvalidOperation:
            raise ValidationError("The order limit is a number of dollars.") from None
        release_control_update(releases_stopped=request.POST.get("releases_stopped") == "1",
                               max_order_value=limit, reason=request.POST.get("reason", ""),
                               acting_user=request.user,
                               auto_release=request.POST.get("auto_release") == "1")
    _attempt(request, update, "Release controls changed.")
    return redirect("batch-queue")
