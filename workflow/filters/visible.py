"""A filter's accounts among those a person may see (pages and API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import Account
from rebal.firm_context import require_firm
from workflow.filters.compiler import FilterError, accounts_matching


def accounts_visible_matching(user: Any, query: Any, as_of: date) -> Any:
    """The accounts `query` selects that `user` may view; ValidationError naming every problem
    of the query."""
    try:
        selected = accounts_matching(query, firm_id=require_firm().pk, as_of=as_of)
    except FilterError as error:
        raise ValidationError(error.problems) from None
    return selected.filter(pk__in=Account.objects.for_user(user, "account.view").values("pk"))
