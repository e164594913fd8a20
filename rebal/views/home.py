"""Each role's home page, alerts, and switching firm."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rebal import services
from rebal.access import access_object
from rebal.context_processors import ROLE_DASHBOARDS
from rebal.middleware import SESSION_FIRM_KEY
from rebal.models import Alert, Role
from rebal.permissions import actions_for, roles_of
from rebal.selectors import open_alerts_for
from rebal.views.base import firm_page

ROLE_HOME_TEXT = {
    Role.ADVISOR: "Your households and accounts, their drift and pending trades.",
    Role.IPC: "Allocations, products, programs and impact previews of model changes.",
    Role.OVERLAY_MANAGER: "Today's run, the review queue and trade batches.",
    Role.COMPLIANCE: "The compliance list, audit history and trade records.",
    Role.MANAGEMENT: "Program KPIs: accounts analyzed, traded, waiting and suspended.",
    Role.DATA_MANAGER: "Feeds received, file transfers and data exceptions.",
    Role.FIRM_ADMIN: "People, roles, API tokens and firm policies.",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if getattr(request, "firm", None) is None:
        return render(request, "rebal/no_firm.html", status=200)
    roles = sorted(roles_of(request.user))
    allowed = actions_for(request.user)
    context = {
        "roles": [(Role(role).label, ROLE_HOME_TEXT[Role(role)], ROLE_DASHBOARDS[Role(role)])
                  for role in roles],
        "abilities": abilities(allowed),
        "alerts": open_alerts_for(request.user)[:50],
    }
    return render(request, "rebal/home.html", context)


def abilities(actions: list[str]) -> list[tuple[str, list[str]]]:
    """Allowed actions grouped by what they act on: [("account", ["view", "suspend"]), ...]."""
    grouped: dict[str, list[str]] = {}
    for action in actions:
        noun, verb = action.split(".", 1)
        grouped.setdefault(noun.replace("_", " "), []).append(verb.replace("_", " "))
    return [(noun, verbs) for noun, verbs in grouped.items()]


@require_POST
@firm_page("alert.acknowledge")
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = access_object(Alert, request.user, "alert.acknowledge", pk=pk)
    services.alert_acknowledge(alert=alert, acting_user=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")
    return redirect("home")


@require_POST
@login_required
def firm_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("firm_id", "")
    for membership in getattr(request, "memberships", []):
        if str(membership.firm_id) == wanted:
            request.session[SESSION_FIRM_KEY] = membership.firm_id
    return redirect("home")
