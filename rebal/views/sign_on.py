"""Single sign-on pages: start a sign-in at the firm's provider, come back from it, and the firm
admin's page that configures the provider."""

from __future__ import annotations

import logging

from authlib.integrations.base_client import OAuthError
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from joserfc.errors import JoseError
from requests import RequestException

from rebal.middleware import SESSION_FIRM_KEY
from rebal.models import Firm, SignOnProvider
from rebal.sign_on import (
    SignOnRefused,
    oidc_client,
    sign_on_configure,
    sign_on_person,
    sign_on_provider_of,
)
from rebal.views.base import firm_page

logger = logging.getLogger(__name__)
SSO_FIRM_KEY = "rebal_sso_firm"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sso_start(request: HttpRequest) -> HttpResponse:
    """Ask for the firm's code, then send the person to the firm's provider."""
    code = (request.POST.get("firm") or request.GET.get("firm") or "").strip().upper()
    if not code:
        return render(request, "rebal/sso_start.html", {})
    firm = Firm.objects.filter(code=code, is_active=True).first()
    provider = sign_on_provider_of(firm) if firm else None
    if firm is None or provider is None:
        return render(request, "rebal/sso_start.html",
                      {"error": f"{code} does not sign in through its own provider.",
                       "firm": code}, status=400)
    request.session[SSO_FIRM_KEY] = firm.code
    return oidc_client(provider).authorize_redirect(
        request, request.build_absolute_uri(reverse("sso-callback")))


def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the person back with a code: exchange it, check the ID token, and
    sign in the Rebal person it names, into that firm."""
    code = request.session.pop(SSO_FIRM_KEY, None)
    firm = Firm.objects.filter(code=code, is_active=True).first() if code else None
    provider = sign_on_provider_of(firm) if firm else None
    if firm is None or provider is None:
        return _refused(request, "This sign-in was not started here, or has expired.")
    try:
        token = oidc_client(provider).authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise SignOnRefused("The provider gave no ID token.")
        user = sign_on_person(firm=firm, provider=provider, claims=dict(claims))
    except (OAuthError, JoseError, RequestException, SignOnRefused, ValueError) as error:
        logger.warning("single sign-on refused for %s: %s", firm.code, error)
        return _refused(request, str(error) if isinstance(error, SignOnRefused)
                        else "The sign-on provider's answer could not be verified.")
    login(request, user, backend=MODEL_BACKEND)
    request.session[SESSION_FIRM_KEY] = firm.pk
    return redirect("home")


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "rebal/sso_start.html", {"error": reason}, status=403)


class SignOnForm(forms.Form):
    issuer = forms.URLField(label="Issuer URL", assume_scheme="https")
    client_id = forms.CharField(max_length=200, label="Client id")
    client_secret = forms.CharField(max_length=500, required=False, label="Client secret",
                                    widget=forms.PasswordInput,
                                    help_text="Leave empty to keep the stored secret")
    email_domains = forms.CharField(required=False, label="Email domains",
                                    help_text="Comma-separated; empty accepts any domain")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    reason = forms.CharField(max_length=300)


@firm_page("sign_on.manage")
def sign_on_settings(request: HttpRequest) -> HttpResponse:
    provider = SignOnProvider.objects.first()
    initial = ({"issuer": provider.issuer, "client_id": provider.client_id,
                "email_domains": ", ".join(provider.email_domains),
                "is_active": provider.is_active} if provider else {})
    form = SignOnForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sign_on_configure(issuer=data["issuer"], client_id=data["client_id"],
                              client_secret=data["client_secret"],
                              email_domains=data["email_domains"].split(","),
                              is_active=data["is_active"], acting_user=request.user,
                              reason=data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Sign-on provider saved.")
            return redirect("sign-on-settings")
    return render(request, "rebal/sign_on_settings.html",
                  {"form": form, "provider": provider,
                   "callback": request.build_absolute_uri(reverse("sso-callback"))},
                  status=400 if form.errors else 200)
