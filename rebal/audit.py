"""Who changed what and why: the actor and reason behind every audited write.

django-simple-history writes the history rows; this module supplies what it records beyond the
row itself (the acting user, API token or system job, and the reason) from a context that
requests, API calls, tasks and commands enter, and refuses writes that would skip history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history


class HistorySkippedError(RuntimeError):
    """A write on an audited model would not have recorded history."""


@dataclass(frozen=True)
class Actor:
    user: Any = None  # rebal.User
    api_token: Any = None  # rebal.APIToken
    system_job: str = ""
    reason: str = ""

    @property
    def is_known(self) -> bool:
        return bool(self.user or self.api_token or self.system_job)


NO_ACTOR = Actor()
_actor: ContextVar[Actor] = ContextVar("rebal_audit_actor", default=NO_ACTOR)
_bulk_allowed: ContextVar[bool] = ContextVar("rebal_audit_bulk_allowed", default=False)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def audit_context(
    *, user: Any = None, api_token: Any = None, system_job: str = "", reason: str = ""
) -> Iterator[Actor]:
    """Attribute the audited writes inside the block; unspecified parts are inherited."""
    outer = _actor.get()
    actor = replace(
        outer,
        user=user or outer.user,
        api_token=api_token or outer.api_token,
        system_job=system_job or outer.system_job,
        reason=reason or outer.reason,
    )
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def _history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    user = _actor.get().user
    return user if user is not None and getattr(user, "pk", None) else None


class ActorHistoryFields(models.Model):
    """Extra columns of every history table: the token or job that acted besides a user."""

    history_api_token_id = models.BigIntegerField(null=True, blank=True)
    history_system_job = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        abstract = True


def audited_history(**options: Any) -> HistoricalRecords:
    """The HistoricalRecords every audited model uses."""
    return HistoricalRecords(
        bases=[ActorHistoryFields], get_user=_history_user, cascade_delete_history=False,
        **options,
    )


def fill_actor(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """simple-history signal: stamp token, job and reason, and refuse anonymous writes."""
    actor = _actor.get()
    if not actor.is_known:
        raise HistorySkippedError(
            f"Write to {sender.__name__} with no acting user, API token or system job; "
            "enter audit_context(...) first."
        )
    history_instance.history_api_token_id = getattr(actor.api_token, "pk", None)
    history_instance.history_system_job = actor.system_job
    if not history_instance.history_change_reason and actor.reason:
        history_instance.history_change_reason = actor.reason


class AuditedQuerySet(models.QuerySet):
    """Refuses the QuerySet writes that bypass the per-row signals history relies on."""

    def update(self, **kwargs: Any) -> int:
        if _bulk_allowed.get():  # bulk_update_audited, which writes the history itself
            return super().update(**kwargs)
        raise HistorySkippedError(
            f"{self.model.__name__}.objects.update() would skip history; save each object "
            "or use rebal.audit.bulk_update_audited()."
        )

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        if not _bulk_allowed.get():
            raise HistorySkippedError(
                f"{self.model.__name__} bulk_create would skip history; "
                "use rebal.audit.bulk_create_audited()."
            )
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        if not _bulk_allowed.get():
            raise HistorySkippedError(
                f"{self.model.__name__} bulk_update would skip history; "
                "use rebal.audit.bulk_update_audited()."
            )
        return super().bulk_update(objs, fields, *args, **kwargs)

    def _raw_delete(self, using: Any) -> int:
        raise HistorySkippedError(f"{self.model.__name__} raw delete would skip history")


def _history_defaults() -> dict[str, Any]:
    actor = _actor.get()
    if not actor.is_known:
        raise HistorySkippedError("Bulk write with no acting user, API token or system job")
    return {"history_api_token_id": getattr(actor.api_token, "pk", None),
            "history_system_job": actor.system_job}


@contextmanager
def _bulk_permitted() -> Iterator[None]:
    token = _bulk_allowed.set(True)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


def update_unaudited_fields(queryset: models.QuerySet, **values: Any) -> int:
    """UPDATE fields the model's history excludes (bookkeeping such as last_used_at)."""
    history_model = queryset.model.history.model
    excluded = set(getattr(history_model, "_history_excluded_fields", ()) or ())
    audited = set(values) - excluded
    if audited:
        raise HistorySkippedError(f"{sorted(audited)} are audited; save the object instead")
    with _bulk_permitted():
        return queryset.update(**values)


def bulk_create_audited(model: type[models.Model], objs: list[Any], **kwargs: Any) -> list[Any]:
    """Create many rows of an audited model, writing one history row each."""
    actor = _actor.get()
    with _bulk_permitted():
        return bulk_create_with_history(
            objs, model, default_user=_history_user(),
            default_change_reason=actor.reason or None,
            custom_historical_attrs=_history_defaults(), **kwargs,
        )


def bulk_update_audited(
    model: type[models.Model], objs: list[Any], fields: list[str], **kwargs: Any
) -> int:
    """Update many rows of an audited model, writing one history row each."""
    actor = _actor.get()
    with _bulk_permitted():
        return bulk_update_with_history(
            objs, model, fields, default_user=_history_user(),
            default_change_reason=actor.reason or None,
            custom_historical_attrs=_history_defaults(), **kwargs,
        )
