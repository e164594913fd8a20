"""Firms (tenants) and the people who sign in."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from rebal.audit import AuditedQuerySet, audited_history


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone")


class Firm(models.Model):
    """A wealth-management firm: the tenant every firm-owned row belongs to."""

    code = models.CharField(
        max_length=20, unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$",
                                   "Upper-case letters, digits, - and _")],
    )
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="America/New_York",
                                validators=[validate_timezone])
    require_totp = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(AuditedQuerySet)()
    history = audited_history()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class AuditedUserManager(UserManager.from_queryset(AuditedQuerySet)):
    """The user manager, refusing history-skipping writes."""


class User(AbstractUser):
    """A person who signs in; what they may do comes from their memberships in firms."""

    email = models.EmailField(unique=True)
    is_platform_operator = models.BooleanField(
        default=False,
        help_text="Hosting-company staff: sees firms' monitoring, one firm at a time.",
    )
    # Signed in with a password someone else was shown (a one-time password): every page
    # sends them to choose their own first.
    password_must_change = models.BooleanField(default=False)

    objects = AuditedUserManager()
    history = audited_history(excluded_fields=["password", "last_login"])

    def __str__(self) -> str:
        return self.email or self.username

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError(
            "People are deactivated (is_active = False), never deleted: the audit history and "
            "the records of their trades must keep pointing at them."
        )
