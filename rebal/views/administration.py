"""Firm administration pages: people and roles, API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rebal import services
from rebal.access import access_object
from rebal.models import APIToken, Membership, Scope
from rebal.views.base import firm_page

ISSUED_TOKEN_KEY = "rebal_issued_token"  # noqa: S105 - a session key name


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(max_length=500, required=False)


@firm_page("membership.view")
def member_list(request: HttpRequest) -> HttpResponse:
    members = (Membership.objects.for_user(request.user, "membership.view")
               .select_related("user").order_by("user__email"))
    return render(request, "rebal/member_list.html", {"members": members})


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
    from rebal.permissions import can

    return can(request.user, "token.manage")


@require_POST
@firm_page("token.manage")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = access_object(APIToken, request.user, "token.manage", pk=pk)
    reason = request.POST.get("reason", "").strip() or "Revoked in the browser"
    services.api_token_revoke(token=token, acting_user=request.user, reason=reason)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("token-list")
