"""Firm administration pages: the firm admin's dashboard, people and roles, API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rebal import services
from rebal.access import access_object
from rebal.listing import listing
from rebal.models import APIToken, Membership, Role, Scope, SignOnProvider, Team
from rebal.permissions import can
from rebal.selectors import members_narrowed
from rebal.views.base import firm_page

ISSUED_TOKEN_KEY = "rebal_issued_token"  # noqa: S105 - a session key name
ADDED_MEMBER_KEY = "rebal_added_member"
MEMBER_SORTS = {"email": "user__email", "name": "user__last_name", "team": "team__name",
                "active": "is_active"}
HISTORY_SHOWN = 20


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(max_length=500, required=False)


class MemberForm(forms.Form):
    roles = forms.MultipleChoiceField(choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False,
                                  empty_label="(no team)")
    reason = forms.CharField(max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]


class MemberAddForm(MemberForm):
    email = forms.EmailField(label="E-mail")
    field_order = ["email", "roles", "team", "reason"]


@firm_page("membership.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The firm admin's home: how many people, teams and tokens, and where each is managed."""
    people = Membership.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
        advisors=Count("pk", filter=Q(is_active=True, roles__contains=[Role.ADVISOR])),
        admins=Count("pk", filter=Q(is_active=True, roles__contains=[Role.FIRM_ADMIN])),
        without_team=Count("pk", filter=Q(is_active=True, team__isnull=True,
                                          roles__contains=[Role.ADVISOR])))
    return render(request, "rebal/administration.html", {
        "people": people,
        "teams": Team.objects.count(),
        "tokens": APIToken.objects.filter(revoked_at__isnull=True).count(),
        "sign_on": SignOnProvider.objects.filter(is_active=True).exists(),
    })


@firm_page("membership.view")
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, "membership.manage"):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                added = services.member_add(acting_user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # Shown once, after a redirect, so reloading the page cannot re-submit the form.
                request.session[ADDED_MEMBER_KEY] = [added.membership.user.email,
                                                     added.one_time_password]
                return redirect("member-list")
    added_member = request.session.pop(ADDED_MEMBER_KEY, None)
    members = (Membership.objects.for_user(request.user, "membership.view")
               .select_related("user", "team"))
    role = request.GET.get("role", "")
    if role in Role.values:
        members = members.filter(roles__contains=[role])
    members, team, status = members_narrowed(members, request.GET)
    return render(request, "rebal/member_list.html", {
        **listing(request, members, sorts=MEMBER_SORTS,
                  search=("user__email", "user__first_name", "user__last_name")),
        "roles": Role.choices, "role": role, "team": team, "status": status,
        "teams": Team.objects.order_by("name"), "form": form, "added": added_member,
    })


@firm_page("membership.view")
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's roles and team (with a reason), their deactivation, and their history."""
    action = "membership.manage" if request.method == "POST" else "membership.view"
    member = access_object(Membership, request.user, action, pk=pk)
    form = MemberForm(request.POST or None,
                      initial={"roles": member.roles, "team": member.team_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=member, roles=form.cleaned_data["roles"],
                team=form.cleaned_data["team"], acting_user=request.user,
                reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{member.user.email}'s roles and team saved.")
            return redirect("member-edit", pk=member.pk)
    history = (member.history.select_related("history_user", "team")
               .order_by("-history_date", "-history_id")[:HISTORY_SHOWN])
    return render(request, "rebal/member_edit.html",
                  {"member": member, "form": form, "history": history})


@require_POST
@firm_page("membership.manage")
def member_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    member = access_object(Membership, request.user, "membership.manage", pk=pk)
    is_active = request.POST.get("is_active") == "1"
    try:
        services.membership_set_active(membership=member, is_active=is_active,
                                       acting_user=request.user,
                                       reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{member.user.email} "
                                  f"{'reactivated' if is_active else 'deactivated'}.")
    return redirect("member-edit", pk=member.pk)


@firm_page("token.view")
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST":
        if not request.user.is_authenticated or not _can_manage(request):
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                issued = services.api_token_create(
                    name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                    reason=form.cleaned_data["reason"], acting_user=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # Shown once, after a redirect, so reloading the page cannot re-submit the form.
                request.session[ISSUED_TOKEN_KEY] = [issued.token.name, issued.value]
                return redirect("token-list")
    else:
        issued = request.session.pop(ISSUED_TOKEN_KEY, None)
    tokens = APIToken.objects.for_user(request.user, "token.view").order_by("name")
    return render(request, "rebal/token_list.html",
                  {"tokens": tokens, "form": form, "issued": issued})


def _can_manage(request: HttpRequest) -> bool:
    return can(request.user, "token.manage")


@require_POST
@firm_page("token.manage")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access_object(APIToken, request.user, "token.manage", pk=pk)
    reason = request.POST.get("reason", "").strip() or "Revoked in the browser"
    services.api_token_revoke(token=token, acting_user=request.user, reason=reason)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("token-list")
