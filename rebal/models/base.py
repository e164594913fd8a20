"""The abstract base of every firm-owned table, with its fail-closed manager."""

from __future__ import annotations

from typing import Any

from django.db import models

from rebal.audit import AuditedQuerySet
from rebal.firm_context import current_firm, require_firm

CURRENT_FIRM = models.Func(function="rebal_current_firm", output_field=models.BigIntegerField())


class FirmScopedQuerySet(models.QuerySet):
    """Queries of firm-owned rows; `for_user` is the one way a person's lists are built.

    A queryset from the default manager carries the predicate `firm_id = rebal_current_firm()`
    (the same function the RLS policies use, so indexes on firm_id serve) and refuses to run
    while no firm is in context. It may be built without one (class attributes, filter sets).
    """

    _requires_firm = False

    def _clone(self) -> Any:
        clone = super()._clone()
        clone._requires_firm = self._requires_firm
        return clone

    def _check_firm(self) -> None:
        if self._requires_firm:
            require_firm()

    def _fetch_all(self) -> None:
        self._check_firm()
        super()._fetch_all()

    def count(self) -> int:
        self._check_firm()
        return super().count()

    def exists(self) -> bool:
        self._check_firm()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_firm()
        return super().aggregate(*args, **kwargs)

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._check_firm()
        return super().iterator(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_firm()
        return super().update(**kwargs)

    def _update(self, values: Any) -> Any:
        self._check_firm()
        return super()._update(values)

    def delete(self) -> Any:
        self._check_firm()
        return super().delete()

    def for_user(self, user: Any, action: str) -> FirmScopedQuerySet:
        """The rows `user` may perform `action` on: none, those granted to them, or all."""
        from rebal.permissions import scope_for

        scope = scope_for(user, action)
        if scope == "all":
            return self
        if scope == "assigned":
            return self.filter(self.model.assigned_to(user))  # type: ignore[attr-defined]
        return self.none()


class AuditedFirmScopedQuerySet(AuditedQuerySet, FirmScopedQuerySet):
    """Firm-owned and audited: scoped, and refuses writes that would skip history."""


class FirmScopedManager(models.Manager):
    """Refuses to run without a firm in context; the escape hatches have loud names."""

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().filter(firm_id=CURRENT_FIRM)
        queryset._requires_firm = True  # type: ignore[attr-defined]
        return queryset

    def for_firm(self, firm: Any) -> Any:
        """Rows of an explicitly named firm (the database still enforces the context's firm)."""
        return super().get_queryset().filter(firm_id=firm.pk)

    def unscoped(self) -> Any:
        """No firm predicate in Python; row-level security in PostgreSQL still applies."""
        return super().get_queryset()


FirmManager = FirmScopedManager.from_queryset(FirmScopedQuerySet)
AuditedFirmManager = FirmScopedManager.from_queryset(AuditedFirmScopedQuerySet)


class FirmOwnedModel(models.Model):
    """A row that belongs to exactly one firm, isolated by manager and by row-level security."""

    firm = models.ForeignKey("rebal.Firm", on_delete=models.PROTECT, related_name="+")

    objects = FirmManager()

    # SQL visible in addition to the firm's own rows (e.g. a user's memberships at login).
    rls_also_visible_when: str = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.firm_id is None:
            self.firm = require_firm()
        else:
            firm = current_firm()
            if firm is not None and firm.pk != self.firm_id:
                raise PermissionError(
                    f"{type(self).__name__} of firm {self.firm_id} written in firm {firm.pk}"
                )
        super().save(*args, **kwargs)

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        """Rows granted to `user` object by object; models with advisor scoping override this."""
        return models.Q(pk__in=[])
