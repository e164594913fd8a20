"""Households and client accounts (the holdings data arrives with the data-operations issue)."""

from __future__ import annotations

from typing import Any

from django.db import models
from guardian.shortcuts import get_objects_for_user

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


def _granted(user: Any, model: type[models.Model], perm: str) -> Any:
    return get_objects_for_user(
        user, perm, klass=model.objects.unscoped(),  # type: ignore[attr-defined]
        with_superuser=False, accept_global_perms=False,
    ).values("pk")


class Household(FirmOwnedModel):
    """A client household: the unit an advisor is assigned to."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="household_code")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        return models.Q(pk__in=_granted(user, cls, "accounts.view_household"))


class Account(FirmOwnedModel):
    """A client account at a custodian."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        SUSPENDED = "suspended"
        PENDING_CLOSE = "pending_close"

    account_number = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "account_number"], name="account_number"),
        ]

    def __str__(self) -> str:
        return f"{self.account_number} {self.name}"

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        return models.Q(pk__in=_granted(user, cls, "accounts.view_account")) | models.Q(
            household__in=_granted(user, Household, "accounts.view_household")
        )
