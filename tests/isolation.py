"""The isolation harness's route registry: every URL pattern, and how to attack it from firm B.

Adding a route without adding it here fails `test_every_route_is_covered`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Public:
    """Holds no firm data (sign-in, health, schema)."""

    why: str


@dataclass(frozen=True)
class OperatorOnly:
    """Hosting staff's monitoring across firms: anyone of a firm gets 404."""

    why: str


@dataclass(frozen=True)
class PageList:
    """A page listing firm data: firm B must see none of firm A's markers."""

    markers: Callable[[Any], list[str]]  # texts of firm A's objects that A's admin sees


@dataclass(frozen=True)
class PageObject:
    """A page about one object of firm A: 404 for firm B, whatever the method."""

    obj: Callable[[Any], Any]
    methods: tuple[str, ...] = ("get",)


@dataclass(frozen=True)
class ApiList:
    """An API list: firm B's results share no id with firm A's."""

    ids: Callable[[Any], set[int]]


@dataclass(frozen=True)
class ApiObject:
    """An API route about one object of firm A: 404 for firm B."""

    obj: Callable[[Any], Any]
    methods: tuple[str, ...] = ("get", "patch", "delete")
    extra: dict[str, str] = field(default_factory=dict)


ROUTES: dict[str, Any] = {
    "home": PageList(lambda a: [a.alert.subject]),
    "operations-feeds": OperatorOnly("file-transfer monitoring of every firm"),
    "healthz": Public("process liveness only"),
    "readyz": Public("dependency status only"),
    "login": Public("sign-in form"),
    "logout": Public("ends the caller's own session"),
    "otp": Public("the caller's own second factor"),
    "firm-switch": Public("switches only among the caller's own memberships"),
    "alert-acknowledge": PageObject(lambda a: a.alert, methods=("post",)),
    "member-list": PageList(lambda a: [a.personas.advisor.email]),
    "token-list": PageList(lambda a: [a.token.name]),
    "token-revoke": PageObject(lambda a: a.token, methods=("post",)),
    "household-list": PageList(lambda a: [a.personas.household.name]),
    "household-detail": PageObject(lambda a: a.personas.household),
    "account-list": PageList(lambda a: [a.personas.account.name]),
    "account-detail": PageObject(lambda a: a.personas.account),
    "api:api-me": Public("describes the caller only"),
    "api:api-schema": Public("the OpenAPI schema, no data"),
    "api:alert-list": ApiList(lambda a: {a.alert.pk}),
    "api:alert-detail": ApiObject(lambda a: a.alert),
    "api:alert-acknowledge": ApiObject(lambda a: a.alert, methods=("post",)),
    "api:api-token-list": ApiList(lambda a: {a.token.pk}),
    "api:api-token-detail": ApiObject(lambda a: a.token),
    "api:api-token-revoke": ApiObject(lambda a: a.token, methods=("post",),
                                      extra={"reason": "attack"}),
    "api:membership-list": ApiList(lambda a: {a.membership.pk}),
    "api:membership-detail": ApiObject(lambda a: a.membership),
    "api:household-list": ApiList(lambda a: {a.personas.household.pk}),
    "api:household-detail": ApiObject(lambda a: a.personas.household),
    "api:account-list": ApiList(lambda a: {a.personas.account.pk}),
    "api:account-detail": ApiObject(lambda a: a.personas.account),
    "api:account-lots": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-realized": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:account-wash-sale-windows": ApiObject(lambda a: a.personas.account, methods=("get",)),
    "api:custom-field-list": ApiList(lambda a: {a.custom_field.pk}),
    "api:custom-field-detail": ApiObject(lambda a: a.custom_field, methods=("get",)),
    "api:custom-field-retype": ApiObject(lambda a: a.custom_field, methods=("post",),
                                         extra={"field_type": "number", "reason": "attack"}),
    "feed-list": PageList(lambda a: [a.data.feed_file.delivered_by, _feed_url(a)]),
    "feed-detail": PageObject(lambda a: a.data.feed_file),
    "feed-monitor": PageList(lambda a: [_feed_url(a)]),
    "unknown-security-list": PageList(lambda a: [a.data.unknown_security.ticker]),
    "unknown-security-add": PageObject(lambda a: a.data.unknown_security, methods=("post",)),
    "unknown-security-map": PageObject(lambda a: a.data.unknown_security, methods=("post",)),
    "data-exceptions": PageList(lambda a: [a.data.hold.reason,
                                           a.data.reconciliation_break.reason]),
    "api:feed-file-list": ApiList(lambda a: {a.data.feed_file.pk}),
    "api:feed-file-detail": ApiObject(lambda a: a.data.feed_file),
    "api:feed-file-quarantined-rows": ApiObject(lambda a: a.data.feed_file, methods=("get",)),
    "api:unknown-security-list": ApiList(lambda a: {a.data.unknown_security.pk}),
    "api:unknown-security-detail": ApiObject(lambda a: a.data.unknown_security),
    "api:unknown-security-add": ApiObject(
        lambda a: a.data.unknown_security, methods=("post",),
        extra={"name": "attack", "security_type": "equity", "asset_class": "EQ",
               "reason": "attack"}),
    "api:unknown-security-map": ApiObject(lambda a: a.data.unknown_security, methods=("post",),
                                          extra={"security": "1", "reason": "attack"}),
    "api:account-hold-list": ApiList(lambda a: {a.data.hold.pk}),
    "api:account-hold-detail": ApiObject(lambda a: a.data.hold),
    "api:account-hold-clear": ApiObject(lambda a: a.data.hold, methods=("post",),
                                        extra={"reason": "attack"}),
}


def _feed_url(a: Any) -> str:
    """A file's page address: unique to the file, so it marks firm A's file on any page."""
    from django.urls import reverse

    return reverse("feed-detail", kwargs={"pk": a.data.feed_file.pk})


def all_route_names() -> set[str]:
    """Every named URL pattern of the site, with namespaces; unnamed patterns are errors."""
    names: set[str] = set()
    unnamed: list[str] = []

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                if entry.name:
                    names.add(namespace + entry.name)
                else:
                    unnamed.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "", "")
    assert not unnamed, f"unnamed routes cannot be covered: {unnamed}"
    return names
