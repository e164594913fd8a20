"""Per-request firm context and the gates before any page: the second factor, and a password
of one's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from rebal.audit import audit_context
from rebal.firm_context import activate_firm, reset_firm, set_database_setting
from rebal.models import Membership

SESSION_FIRM_KEY = "rebal_firm_id"


def memberships_of(user) -> list[Membership]:
    """The active memberships of `user`, readable before any firm is chosen (see the RLS policy)."""
    return list(
        Membership.objects.unscoped()
        .filter(user=user, is_active=True, firm__is_active=True)
        .select_related("firm")
        .order_by("firm__code")
    )


class FirmContextMiddleware:
    """Runs each request in one transaction with its firm set in Python and in PostgreSQL.

    The firm is the signed-in person's chosen membership (session) or their first one. API token
    requests have no session user here: token authentication activates the token's firm later,
    inside this same transaction.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            request.firm = None  # type: ignore[attr-defined]
            request.membership = None  # type: ignore[attr-defined]
            user = request.user
            acting_user = None
            if user.is_authenticated:
                acting_user = user
                set_database_setting("rebal.user_id", str(user.pk))
                memberships = memberships_of(user)
                chosen = request.session.get(SESSION_FIRM_KEY)
                membership = next((m for m in memberships if m.firm_id == chosen), None)
                membership = membership or (memberships[0] if memberships else None)
                if membership is not None:
                    activate_firm(membership.firm)
                    user._rebal_membership = membership  # type: ignore[attr-defined]
                    request.firm = membership.firm  # type: ignore[attr-defined]
                    request.membership = membership  # type: ignore[attr-defined]
                request.memberships = memberships  # type: ignore[attr-defined]
            try:
                with audit_context(user=acting_user):
                    response = self.get_response(request)
            finally:
                reset_firm()
            if response.status_code >= 500 and not getattr(response, KEEP_WRITES, False):
                transaction.set_rollback(True)
            return response


KEEP_WRITES = "_rebal_keep_writes"
ResponseT = TypeVar("ResponseT", bound=HttpResponse)


def keep_writes(response: ResponseT) -> ResponseT:
    """A server-side failure the view handled on purpose (e.g. our disk is full) whose writes —
    the alert about it — must be committed, although the response is a 5xx."""
    setattr(response, KEEP_WRITES, True)
    return response


# Pages a person must reach before the gates open: signing in and out, the gates' own pages.
GATE_EXEMPT_PREFIXES = ("/auth/", "/static/", "/healthz", "/readyz")


class SignInGateMiddleware:
    """Holds a signed-in person at the gates before any page or API call of the firm: the second
    factor when one is required (the platform requires it in production, the firm requires it,
    or the person enrolled a device), then a password of their own when they signed in with a
    one-time password. Pages redirect to the gate's page; API calls made with the session get a
    403 in the API's error shape. API tokens are not people: their requests carry no session
    user here, and pass.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        gate = _closed_gate(request)
        if gate is None or request.path.startswith(GATE_EXEMPT_PREFIXES):
            return self.get_response(request)
        page, code, message = gate
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"status": 403, "code": code, "message": message,
                                           "fields": {}}}, status=403)
        return redirect(page)


def _closed_gate(request: HttpRequest) -> tuple[str, str, str] | None:
    """The first gate the person has not passed: its page, error code and message."""
    if needs_second_factor(request):
        return ("otp", "second_factor_required",
                "Verify your second factor at /auth/second-factor/ first.")
    user = request.user
    if user.is_authenticated and user.password_must_change:
        return ("password-change", "password_change_required",
                "Choose your own password at /auth/password/ first.")
    return None


def second_factor_required(request: HttpRequest) -> bool:
    from django_otp import user_has_device

    firm = getattr(request, "firm", None)
    return bool(
        settings.REBAL_REQUIRE_TOTP
        or (firm is not None and firm.require_totp)
        or user_has_device(request.user)
    )


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
        return False
    return second_factor_required(request)
