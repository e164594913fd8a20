"""Households, tax entities and client accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast
from guardian.models import UserObjectPermission

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


def _granted(user: Any, model: type[models.Model], perm: str) -> Any:
    """The ids of the `model` rows `user` holds `perm` on, as a subquery: read from
    django-guardian's user permission rows with the stored object id cast to a number, so that
    PostgreSQL matches them through the primary key (guardian's own query compares every row's
    id as text). Grants are made to people only (accounts.services.grants), never to groups."""
    return (UserObjectPermission.objects
            .filter(user_id=user.pk, permission__codename=perm.split(".")[1],
                    content_type=ContentType.objects.get_for_model(model))
            .annotate(object_id=Cast("object_pk", models.BigIntegerField()))
            .values("object_id"))


class TaxEntity(FirmOwnedModel):
    """The taxpayer group for wash sales: a person, their spouse and corporations they control."""

    code = models.CharField(max_length=50)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="tax_entity_code")]

    def __str__(self) -> str:
        return self.code


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

    @classmethod
    def assigned_to_ids(cls, user: Any) -> list[int]:
        """The ids of the current firm's households granted to `user` (the permission rows
        hold every firm's grants to a person in several firms)."""
        return list(cls.objects.filter(cls.assigned_to(user)).values_list("pk", flat=True))


class Account(FirmOwnedModel):
    """A client account at a custodian."""

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"
        SUSPENDED = "suspended"
        PENDING_CLOSE = "pending_close"

    class Registration(models.TextChoices):
        INDIVIDUAL = "individual"
        JOINT = "joint"
        IRA = "ira"
        ROTH_IRA = "roth_ira"
        TRUST = "trust"
        CORPORATE = "corporate"
        OTHER = "other"

    class TaxStatus(models.TextChoices):
        TAXABLE = "taxable"
        TAX_DEFERRED = "tax_deferred"
        TAX_EXEMPT = "tax_exempt"

    account_number = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="accounts")
    tax_entity = models.ForeignKey(TaxEntity, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="accounts")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    registration = models.CharField(max_length=20, choices=Registration.choices,
                                    default=Registration.INDIVIDUAL)
    tax_status = models.CharField(max_length=20, choices=TaxStatus.choices,
                                  default=TaxStatus.TAXABLE)
    discretionary = models.BooleanField(default=True)
    approved_for_trading = models.BooleanField(default=True)
    advisor_email = models.EmailField(blank=True, default="")
    program_code = models.CharField(max_length=50, blank=True, default="")
    opened_date = models.DateField(null=True, blank=True)
    # Ancillary x_* columns, typed by CustomField; filterable with JSON lookups.
    custom_fields = models.JSONField(default=dict, blank=True)
    # The date of the accounts file that last wrote this row: an older file never overwrites.
    source_date = models.DateField(null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["account_number"]
        indexes = [models.Index(fields=["firm", "status"])]
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


class CustomField(FirmOwnedModel):
    """An ancillary account field (an x_* column of the accounts feed), typed by the firm admin."""

    class Type(models.TextChoices):
        TEXT = "text"
        NUMBER = "number"
        DATE = "date"
        BOOLEAN = "boolean"

    name = models.CharField(max_length=100)  # without the x_ prefix
    label = models.CharField(max_length=200, blank=True, default="")
    field_type = models.CharField(max_length=10, choices=Type.choices, default=Type.TEXT)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["firm", "name"], name="custom_field")]

    def __str__(self) -> str:
        return self.label or self.name
