"""Corporate-action pages: the list (and entering one), one action (what was applied where,
the holders, who is held and why; correct or cancel it with a reason), and the report of the
accounts held because feeds disagree.

The event lives in dataops; the pages live in the accounts room because they show holders.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import AccountHold, CorporateActionExpectation, ReconciliationBreak
from accounts.services.corporate_actions import HOLD_PREFIX, positions_of
from dataops.corporate_actions.forms import (
    TERMS,
    CorporateActionCancelForm,
    CorporateActionEnterForm,
    CorporateActionTermsForm,
)
from dataops.models import CorporateAction, Security
from dataops.services.corporate_actions import (
    corporate_action_cancel,
    corporate_action_correct,
    corporate_action_enter,
)
from rebal.access import access_object
from rebal.listing import listing
from rebal.permissions import can
from rebal.views.base import firm_page

HOLDERS_PER_PAGE = 100
ACTION_SORTS = {"effective": "effective_date", "action": "action_id", "type": "type",
                "pay": "pay_date", "status": "status"}
Expectation = CorporateActionExpectation


def _held_by_action(user: Any) -> dict[str, int]:
    """Accounts held by corporate-action checks, counted per action id."""
    counts: dict[str, set[int]] = {}
    for source, account_id in (AccountHold.objects.for_user(user, "account.view")
                               .filter(cleared_at__isnull=True, source__startswith=HOLD_PREFIX)
                               .values_list("source", "account_id")):
        action_id = source.removeprefix(HOLD_PREFIX).split(":")[0]
        counts.setdefault(action_id, set()).add(account_id)
    return {action_id: len(ids) for action_id, ids in counts.items()}


@firm_page("corporate_action.view")
def corporate_action_list(request: HttpRequest) -> HttpResponse:
    """Every action, newest first, with its holders and held accounts; a form to enter one."""
    form = None
    if can(request.user, "corporate_action.edit"):
        form = CorporateActionEnterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            values = {name: form.cleaned_data[name] for name in ["action_id", *TERMS]}
            try:
                action = corporate_action_enter(values=values,
                                                reason=form.cleaned_data["reason"],
                                                acting_user=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{action.action_id} entered ({action.status}).")
                return redirect("corporate-action-detail", pk=action.pk)
    elif request.method == "POST":
        return HttpResponse(status=403)
    actions = (CorporateAction.objects.for_user(request.user, "corporate_action.view")
               .select_related("old_security", "new_security"))
    status = request.GET.get("status", "")
    if status in CorporateAction.Status.values:
        actions = actions.filter(status=status)
    shown = listing(request, actions, sorts=ACTION_SORTS, default_sort="-effective",
                    search=("action_id", "old_ticker", "new_ticker"), per_page=100)
    page = shown["page"]
    holders = dict(Expectation.objects.for_user(request.user, "corporate_action.view")
                   .filter(action__in=list(page)).exclude(status=Expectation.Status.REVERSED)
                   .values_list("action_id").annotate(n=Count("pk")).order_by())
    held = _held_by_action(request.user)
    return render(request, "accounts/corporate_action_list.html", {
        **shown, "status": status, "statuses": CorporateAction.Status.choices,
        "rows": [(action, holders.get(action.pk, 0), held.get(action.action_id, 0))
                 for action in page],
        "form": form,
    })


def _lots(rows: list[dict[str, Any]], names: dict[int, str]) -> list[dict[str, Any]]:
    return [{**row, "security": names.get(int(row["security_id"]), row["security_id"])}
            for row in rows]


def _positions(rows: dict[int, Any], names: dict[int, str]) -> str:
    return "; ".join(f"{names.get(sid, sid)} {p.quantity.normalize():f} sh, {p.basis:,.2f}"
                     for sid, p in sorted(rows.items())) or "nothing"


EFFECT_WORDS = {"created": "identifiers added", "ended": "identifiers ended",
                "securities": "securities changed", "added_security": "security added (id)",
                "restrictions": "restriction entries added", "versions": "model versions added",
                "members": "equivalence members moved", "policy": "spin-off policy",
                "holders": "holders given expected lots", "application": None}


def _effects(effects: dict[str, Any]) -> list[tuple[str, str]]:
    """What each room changed, in words: counts of what it added, moved or ended."""
    shown = []
    for room, changes in effects.items():
        parts = []
        for key, value in changes.items():
            words = EFFECT_WORDS.get(key, key)
            if words is None:
                continue
            count = len(value) if isinstance(value, list | dict) else value
            parts.append(f"{words}: {count}")
        shown.append((room.replace("_", " "), "; ".join(parts) or "nothing to change"))
    return shown


@firm_page("corporate_action.view")
def corporate_action_detail(request: HttpRequest, pk: int,
                            correct_form: Any = None, cancel_form: Any = None) -> HttpResponse:
    action = access_object(CorporateAction, request.user, "corporate_action.view", pk=pk)
    expectations = (Expectation.objects.for_user(request.user, "corporate_action.view")
                    .filter(action=action).select_related("account")
                    .order_by("status", "account__account_number", "-pk"))
    page = Paginator(expectations, HOLDERS_PER_PAGE).get_page(request.GET.get("page"))
    security_ids = {action.old_security_id, action.new_security_id} - {None}
    names = dict(Security.objects.filter(pk__in=security_ids).values_list("pk", "ticker"))
    holders = []
    for expectation in page:
        custodian = {int(k): v for k, v in expectation.custodian.items()}
        holders.append({
            "row": expectation,
            "before": _positions(positions_of(expectation.lots_before), names),
            "after": _positions(positions_of(expectation.lots_after), names),
            "custodian": _positions(positions_of(
                {"security_id": sid, **values} for sid, values in custodian.items()), names)
            if custodian else "not reported yet",
            "lots_after": _lots(expectation.lots_after, names),
            "realized": _lots(expectation.realized, names),
        })
    holds = (AccountHold.objects.for_user(request.user, "account.view")
             .filter(cleared_at__isnull=True, source__startswith=f"{HOLD_PREFIX}{action.action_id}")
             .select_related("account").order_by("account__account_number"))
    holds = [hold for hold in holds
             if hold.source.removeprefix(HOLD_PREFIX).split(":")[0] == action.action_id]
    editable = can(request.user, "corporate_action.edit")
    initial = {name: getattr(action, name) for name in TERMS}
    applications = [(application, _effects(application.effects))
                    for application in action.applications.order_by("-applied_at", "-pk")]
    return render(request, "accounts/corporate_action_detail.html", {
        "action": action, "applications": applications,
        "page": page, "holders": holders, "holds": holds,
        "history": action.history.order_by("-history_date", "-history_id")[:20],
        "editable": editable and action.status != CorporateAction.Status.CANCELLED,
        "correct_form": correct_form or CorporateActionTermsForm(initial=initial),
        "cancel_form": cancel_form or CorporateActionCancelForm(),
    })


@require_POST
@firm_page("corporate_action.edit")
def corporate_action_correct_page(request: HttpRequest, pk: int) -> HttpResponse:
    action = access_object(CorporateAction, request.user, "corporate_action.edit", pk=pk)
    form = CorporateActionTermsForm(request.POST)
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in TERMS
                   if form.cleaned_data[name] != getattr(action, name)}
        try:
            corrected = corporate_action_correct(action=action, changes=changes,
                                                 reason=form.cleaned_data["reason"],
                                                 acting_user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{corrected.action_id} corrected ({corrected.status}).")
            return redirect("corporate-action-detail", pk=corrected.pk)
    return corporate_action_detail(request, pk=pk, correct_form=form)


@require_POST
@firm_page("corporate_action.edit")
def corporate_action_cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    action = access_object(CorporateAction, request.user, "corporate_action.edit", pk=pk)
    form = CorporateActionCancelForm(request.POST)
    if form.is_valid():
        try:
            corporate_action_cancel(action=action, reason=form.cleaned_data["reason"],
                                    acting_user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{action.action_id} cancelled; what it did is reversed.")
            return redirect("corporate-action-detail", pk=action.pk)
    return corporate_action_detail(request, pk=pk, cancel_form=form)


@firm_page("corporate_action.view")
def corporate_action_report(request: HttpRequest) -> HttpResponse:
    """Accounts held because of a corporate action, with why; actions that could not apply;
    the breaks the custodian's snapshots showed."""
    holds = list(AccountHold.objects.for_user(request.user, "account.view")
                 .filter(cleared_at__isnull=True, source__startswith=HOLD_PREFIX)
                 .select_related("account").order_by("source", "account__account_number"))
    actions = {a.action_id: a for a in CorporateAction.objects.filter(
        action_id__in={h.source.removeprefix(HOLD_PREFIX).split(":")[0] for h in holds})}
    rows = [(hold, actions.get(hold.source.removeprefix(HOLD_PREFIX).split(":")[0])) for hold in
            holds]
    breaks = (ReconciliationBreak.objects.for_user(request.user, "account.view")
              .filter(kind__in=[ReconciliationBreak.Kind.CORPORATE_ACTION,
                                ReconciliationBreak.Kind.CORPORATE_ACTION_DESYNC])
              .select_related("account").order_by("-business_date", "account__account_number"))
    counts = dict.fromkeys(Expectation.Status.values, 0)
    for status in (Expectation.objects.for_user(request.user, "account.view")
                   .values_list("status", flat=True)):
        counts[status] += 1
    return render(request, "accounts/corporate_action_report.html", {
        "rows": rows, "accounts_held": len({hold.account_id for hold in holds}),
        "problems": CorporateAction.objects.for_user(request.user, "corporate_action.view")
        .exclude(problem="").filter(status=CorporateAction.Status.RECEIVED),
        "breaks": breaks[:200], "counts": counts,
    })
