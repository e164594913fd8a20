"""Signing in through a firm's own OpenID Connect provider (authorization code flow, with state
and nonce, the ID token's signature checked against the provider's published keys by Authlib).

The provider says who the person is; Rebal decides what they may do. A sign-in is accepted only
for a verified email address at one of the firm's domains, belonging to a person with an active
membership of that firm: nobody is created, no role comes from the provider. The firm's
second-factor rule still applies after the sign-in.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.django_client import OAuth
from django.core.exceptions import ValidationError
from django.db import transaction

from rebal.audit import audit_context
from rebal.firm_context import firm_context, require_firm
from rebal.models import Firm, Membership, SignOnProvider, User

SCOPES = "openid email profile"


class SignOnRefused(Exception):
    """The provider's answer does not let this person into this firm; the message says why."""


def sign_on_provider_of(firm: Firm) -> SignOnProvider | None:
    with firm_context(firm):
        return SignOnProvider.objects.filter(is_active=True).first()


def oidc_client(provider: SignOnProvider) -> Any:
    """Authlib's client for the firm's provider (its state and nonce live in the session)."""
    return OAuth().register(
        name=f"rebal-{provider.firm_id}", client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPES})


def sign_on_person(*, firm: Firm, provider: SignOnProvider, claims: dict[str, Any]) -> User:
    """The person the provider's checked ID-token claims name, if they may enter `firm`."""
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise SignOnRefused("The sign-on provider did not give an email address.")
    if claims.get("email_verified") is not True:
        raise SignOnRefused(f"The sign-on provider has not verified {email}.")
    domain = email.rpartition("@")[2]
    if provider.email_domains and domain not in provider.email_domains:
        raise SignOnRefused(f"{email} is not at one of {firm.code}'s domains.")
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    with firm_context(firm):
        member = user is not None and Membership.objects.filter(user=user,
                                                                is_active=True).exists()
    if not member:
        raise SignOnRefused(f"{email} has no access to {firm.code} in Rebal; ask your firm's "
                            "administrator to add you.")
    assert user is not None
    return user


@transaction.atomic
def sign_on_configure(*, issuer: str, client_id: str, client_secret: str,
                      email_domains: list[str], is_active: bool, acting_user: Any,
                      reason: str) -> SignOnProvider:
    """Set the current firm's provider (a firm admin, with a reason; the secret is kept out of
    the history). An empty secret keeps the one already stored."""
    if not (reason or "").strip():
        raise ValidationError("A reason is required to change the sign-on provider.")
    provider = SignOnProvider.objects.first() or SignOnProvider(firm=require_firm())
    provider.issuer = issuer.strip()
    provider.client_id = client_id.strip()
    if client_secret.strip():
        provider.client_secret = client_secret.strip()
    provider.email_domains = sorted({d.strip().lower().lstrip("@") for d in email_domains
                                     if d.strip()})
    provider.is_active = is_active
    provider.full_clean()
    with audit_context(user=acting_user, reason=reason.strip()):
        provider.save()
    return provider
