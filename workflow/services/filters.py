"""Saving filters. A filter is checked (fields, operators, values) before it is saved; one
shared with the firm needs the firm-wide right to manage filters."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from rebal.audit import audit_context
from rebal.firm_context import require_firm
from workflow.filters import FilterError, query_check
from workflow.models import SavedFilter
from workflow.services.acting_scope import acting_scope


def _checked(query: Any) -> Any:
    try:
        query_check(query, firm_id=require_firm().pk)
    except FilterError as error:
        raise ValidationError(error.problems) from None
    return query


@transaction.atomic
def saved_filter_save(*, saved_filter: SavedFilter | None = None, name: str, query: Any,
                      shared: bool, description: str = "", reason: str = "",
                      acting_user: Any) -> SavedFilter:
    """Create or change a filter; refused with every problem of the query named."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("A filter needs a name.")
    was_shared = saved_filter is not None and saved_filter.is_shared
    if (shared or was_shared) and acting_scope(acting_user, "filter.manage") != "all":
        raise PermissionDenied("Only people who manage the firm's filters may save a filter "
                               "shared with the firm.")
    if saved_filter is not None and not was_shared and saved_filter.owner_id != acting_user.pk:
        raise PermissionDenied("A personal filter is changed only by its owner.")
    row = saved_filter or SavedFilter(created_by=acting_user)
    row.name, row.description, row.query = name, description, _checked(query)
    row.owner = None if shared else (row.owner if saved_filter else acting_user) or acting_user
    try:
        with transaction.atomic(), audit_context(user=acting_user, reason=reason):
            row.save()
    except IntegrityError:
        raise ValidationError(f"There is already a filter named {name!r}.") from None
    return row


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, reason: str = "",
                        acting_user: Any) -> None:
    if saved_filter.is_shared and acting_scope(acting_user, "filter.manage") != "all":
        raise PermissionDenied("Only people who manage the firm's filters may delete it.")
    with audit_context(user=acting_user, reason=reason):
        saved_filter.delete()
