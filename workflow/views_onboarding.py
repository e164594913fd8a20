"""The platform operator's firm pages: every firm with its schedule, onboarding a new firm,
offboarding one. Hosting staff only; to everyone else the pages do not exist. Firm rows are read
through each firm's own context, and no client data is shown."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from rebal.firm_context import firm_context
from rebal.listing import FIRM_SEARCH, FIRM_SORTS, FIRMS_PER_PAGE, listing
from rebal.models import Firm, Membership
from workflow.models import NightlyPolicy
from workflow.services.onboarding import firm_offboard, firm_onboard


def _require_operator(request: HttpRequest) -> None:
    if not request.user.is_authenticated or not request.user.is_platform_operator:  # type: ignore[union-attr]
        raise Http404


@dataclass(frozen=True)
class FirmRow:
    firm: Firm
    schedule: NightlyPolicy | None
    people: int


def _firm_row(firm: Firm) -> FirmRow:
    with firm_context(firm):
        return FirmRow(firm, NightlyPolicy.objects.first(),
                       Membership.objects.filter(is_active=True).count())


class OnboardForm(forms.Form):
    code = forms.CharField(max_length=20, help_text="Upper-case letters, digits, - and _")
    name = forms.CharField(max_length=200)
    timezone = forms.ChoiceField(
        initial="America/New_York",
        choices=[(zone, zone) for zone in sorted(zoneinfo.available_timezones())
                 if zone.startswith(("America/", "Europe/", "Asia/", "Australia/", "Pacific/"))
                 or zone == "UTC"])
    admin_email = forms.EmailField(label="First firm admin's email")
    start_time = forms.TimeField(initial=time(6, 30), label="Nightly cycle starts (firm time)")
    deadline_time = forms.TimeField(initial=time(8, 30), label="Nightly cycle deadline")
    require_totp = forms.BooleanField(required=False, initial=True,
                                      label="Require a second factor at sign-in")
    reason = forms.CharField(max_length=300, required=False,
                             help_text="e.g. the contract or ticket this firm comes from")


def firm_list(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    return _firm_list_page(request)


def _firm_list_page(request: HttpRequest, errors: list[str] | None = None) -> HttpResponse:
    shown = listing(request, Firm.objects.all(), sorts=FIRM_SORTS, search=FIRM_SEARCH,
                    per_page=FIRMS_PER_PAGE)
    return render(request, "workflow/operations_firms.html", {
        **shown, "rows": [_firm_row(firm) for firm in shown["page"]], "errors": errors},
        status=400 if errors else 200)


def firm_new(request: HttpRequest) -> HttpResponse:
    _require_operator(request)
    form = OnboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            onboarded = firm_onboard(
                code=data["code"], name=data["name"], timezone_name=data["timezone"],
                admin_email=data["admin_email"], start_time=data["start_time"],
                deadline_time=data["deadline_time"], require_totp=data["require_totp"],
                acting_user=request.user, reason=data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The one-time password is shown once, here, and stored nowhere in clear.
            return render(request, "workflow/operations_firm_onboarded.html",
                          {"onboarded": onboarded})
    return render(request, "workflow/operations_firm_new.html", {"form": form},
                  status=400 if form.errors else 200)


def firm_offboard_view(request: HttpRequest) -> HttpResponse:
    _require_operator(request)  # before the method check: to others the route does not exist
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    firm = Firm.objects.filter(code=request.POST.get("code", "")).first()
    if firm is None:
        raise Http404
    try:
        firm_offboard(firm=firm, acting_user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        return _firm_list_page(request, error.messages)
    return redirect("operations-firms")
