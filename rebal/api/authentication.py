"""Per-firm API tokens: `Authorization: Token rbl_…` (or `Bearer rbl_…`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from rebal.audit import update_unaudited_fields
from rebal.firm_context import activate_firm, set_database_setting
from rebal.models import APIToken
from rebal.models.api_token import TOKEN_PREFIX, hash_token


class TokenPrincipal:
    """The machine behind an API token: authenticated, firm-bound, limited to its scopes."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    pk = None

    def __init__(self, api_token: APIToken):
        self.api_token = api_token

    def __str__(self) -> str:
        return f"token:{self.api_token.name}"


class APITokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Any) -> tuple[TokenPrincipal, APIToken] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace")
        parts = header.split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2 or not parts[1].startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Malformed API token.")
        key_hash = hash_token(parts[1])
        # The RLS policy lets this transaction see exactly the token with this hash.
        set_database_setting("rebal.api_token_hash", key_hash)
        token = (APIToken.objects.unscoped().select_related("firm")
                 .filter(key_hash=key_hash).first())
        set_database_setting("rebal.api_token_hash", "")
        if token is None or token.revoked_at is not None or not token.firm.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        activate_firm(token.firm)
        request._request.firm = token.firm
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            update_unaudited_fields(APIToken.objects.filter(pk=token.pk), last_used_at=now)
        return TokenPrincipal(token), token

    def authenticate_header(self, request: Any) -> str:
        return "Token"


class APITokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes token authentication in the OpenAPI schema."""

    target_class = APITokenAuthentication
    name = "firmApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token rbl_…`: a per-firm API token issued by a firm admin."}
