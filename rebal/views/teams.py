"""The firm admin's team pages: the firm's teams, each with its members."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rebal import services
from rebal.access import access_object
from rebal.listing import listing
from rebal.models import Membership, Team
from rebal.permissions import can
from rebal.views.base import firm_page

TEAM_SORTS = {"name": "name", "members": "member_count"}
MEMBER_SORTS = {"email": "user__email", "name": "user__last_name"}


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    reason = forms.CharField(max_length=500, required=False)


@firm_page("membership.view")
def team_list(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, "membership.manage"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                team = services.team_create(name=form.cleaned_data["name"],
                                            acting_user=request.user,
                                            reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error("name", error)
            else:
                messages.success(request, f"Team {team.name} created.")
                return redirect("team-detail", pk=team.pk)
    teams = (Team.objects.for_user(request.user, "membership.view")
             .annotate(member_count=Count("members")))
    return render(request, "rebal/team_list.html", {
        **listing(request, teams, sorts=TEAM_SORTS, search=("name",)), "form": form})


@firm_page("membership.view")
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A team's members (paged), its renaming, putting a member in it, and its deletion."""
    team = access_object(Team, request.user, "membership.view", pk=pk)
    if request.method == "POST":
        team = access_object(Team, request.user, "membership.manage", pk=pk)
        _team_change(request, team)
        return redirect("team-detail", pk=team.pk)
    members = (Membership.objects.for_user(request.user, "membership.view")
               .filter(team=team).select_related("user"))
    return render(request, "rebal/team_detail.html", {
        **listing(request, members, sorts=MEMBER_SORTS,
                  search=("user__email", "user__first_name", "user__last_name")),
        "team": team, "other_teams": Team.objects.exclude(pk=team.pk).order_by("name")})


def _team_change(request: HttpRequest, team: Team) -> None:
    """Rename the team, or put a member (by e-mail) in it or take one out; in the service's
    words when refused."""
    reason = request.POST.get("reason", "")
    try:
        if "name" in request.POST:
            services.team_rename(team=team, name=request.POST["name"],
                                 acting_user=request.user, reason=reason)
            done = f"Team renamed {team.name}."
        elif "remove" in request.POST:
            member = access_object(Membership, request.user, "membership.manage",
                                   pk=request.POST["remove"], team=team)
            services.membership_set_team(membership=member, team=None,
                                         acting_user=request.user, reason=reason)
            done = f"{member.user.email} taken out of {team.name}."
        else:
            email = request.POST.get("email", "").strip()
            member = Membership.objects.filter(user__email__iexact=email).first()
            if member is None:
                raise ValidationError(f"No member of the firm has the e-mail {email!r}.")
            services.membership_set_team(membership=member, team=team,
                                         acting_user=request.user, reason=reason)
            done = f"{member.user.email} put in {team.name}."
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)


@require_POST
@firm_page("membership.manage")
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = access_object(Team, request.user, "membership.manage", pk=pk)
    target = request.POST.get("reassign_to", "")
    reassign_to = (access_object(Team, request.user, "membership.manage", pk=target)
                   if target else None)
    try:
        services.team_delete(team=team, acting_user=request.user,
                             reason=request.POST.get("reason", ""), reassign_to=reassign_to)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("team-detail", pk=team.pk)
    messages.success(request, f"Team {team.name} deleted.")
    return redirect("team-list")
