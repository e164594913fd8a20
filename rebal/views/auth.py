"""Sign-in, sign-out and the TOTP second factor (django-otp)."""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from rebal.audit import audit_context
from rebal.middleware import second_factor_required


class LoginView(auth_views.LoginView):
    template_name = "rebal/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Choose a new password (the firm's password rules apply); required after signing in with
    a one-time password. People who sign in through their firm's single sign-on have none."""

    template_name = "rebal/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        form.user.password_must_change = False
        with audit_context(user=form.user, reason="Password changed"):
            response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response


class TokenForm(forms.Form):
    token = forms.CharField(label="Six-digit code", max_length=8, min_length=6,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric",
                                                          "autofocus": True}))


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def otp(request: HttpRequest) -> HttpResponse:
    """Verify a code from an enrolled device, or enroll one when a second factor is required."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect("home")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is None and not second_factor_required(request):
        return redirect("home")
    with audit_context(user=user, reason="Second-factor device enrolled"):
        device = confirmed or TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app",
                                               confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save()
            otp_login(request, device)
            return redirect("home")
        form.add_error("token", "That code is not valid. Check your device's clock and retry.")
    context = {"form": form, "enrolling": not device.confirmed}
    if not device.confirmed:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "rebal/otp.html", context)
