"""The firm admin's schedules and policies page: the nightly cycle's time and zone (edited with
a reason), the feeds the firm expects, and links to the other firm policies."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from dataops.models import FeedSchedule
from rebal.listing import listing
from rebal.views.base import firm_page
from workflow.models import DispositionPolicy, SettingsRule
from workflow.schedule import todays_cycle
from workflow.services.nightly import nightly_policy
from workflow.services.nightly_schedule import nightly_schedule_update
from workflow.services.release import release_control

FEED_SORTS = {"feed": "feed", "cutoff": "cutoff", "active": "is_active"}
HISTORY_SHOWN = 10
DAYS_AHEAD = 10  # enough to pass any run of market holidays and weekends


class NightlyScheduleForm(forms.Form):
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    deadline_time = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    timezone_name = forms.ChoiceField(
        label="Time zone", choices=[(z, z) for z in sorted(zoneinfo.available_timezones())])
    is_active = forms.BooleanField(label="The cycle runs every business day", required=False)
    reason = forms.CharField(max_length=500)


def _next_start(policy: object, zone: ZoneInfo) -> datetime | None:
    """When the cycle next starts (today's, if still ahead), in the firm's zone."""
    now = timezone.now()
    for days in range(DAYS_AHEAD):
        cycle = todays_cycle(now=now + timedelta(days=days), start=policy.start_time,  # type: ignore[attr-defined]
                             deadline=policy.deadline_time, zone=zone)  # type: ignore[attr-defined]
        if cycle is not None and cycle.starts_at > now:
            return cycle.starts_at
    return None


@firm_page("policy.manage")
def schedules(request: HttpRequest) -> HttpResponse:
    firm = request.firm  # type: ignore[attr-defined]
    policy = nightly_policy()
    form = NightlyScheduleForm(request.POST or None, initial={
        "start_time": policy.start_time, "deadline_time": policy.deadline_time,
        "timezone_name": firm.timezone, "is_active": policy.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            nightly_schedule_update(acting_user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Nightly schedule saved.")
            return redirect("admin-schedules")
    feeds = FeedSchedule.objects.all()
    active = request.GET.get("active", "")
    if active in ("yes", "no"):
        feeds = feeds.filter(is_active=active == "yes")
    history = (policy.history.select_related("history_user")
               .order_by("-history_date", "-history_id")[:HISTORY_SHOWN] if policy.pk else [])
    return render(request, "workflow/admin_schedules.html", {
        **listing(request, feeds, sorts=FEED_SORTS, search=("feed",)),
        "active": active, "form": form, "policy": policy, "history": history,
        "next_start": _next_start(policy, ZoneInfo(firm.timezone)) if policy.is_active else None,
        "control": release_control(),
        "disposition_policies": DispositionPolicy.objects.filter(is_active=True).count(),
        "settings_rules": SettingsRule.objects.filter(is_active=True).count(),
    })
