"""Which firm the current request or task acts for, in Python and in PostgreSQL.

The firm lives in two places that must agree: a context variable read by the fail-closed
managers, and the transaction-local setting `rebal.firm_id` read by the row-level-security
policies. Both are set together, inside a transaction, by `firm_context` (tasks, commands) or by
`activate_firm` (the request middleware and API token authentication).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connections, transaction

if TYPE_CHECKING:
    from rebal.models import Firm


class FirmContextMissing(RuntimeError):
    """Firm-owned data was touched with no firm in context."""


_current_firm: ContextVar[Firm | None] = ContextVar("rebal_current_firm", default=None)


def current_firm() -> Firm | None:
    return _current_firm.get()


def require_firm() -> Firm:
    firm = _current_firm.get()
    if firm is None:
        raise FirmContextMissing(
            "No firm in context: wrap the work in firm_context(firm) or use "
            ".for_firm(firm) / .unscoped() deliberately."
        )
    return firm


def set_database_setting(name: str, value: str, *, using: str = "default") -> None:
    """Set a transaction-local setting; it ends with the transaction that set it."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError(f"{name} must be set inside a transaction, or it would not last")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def activate_firm(firm: Firm | None, *, using: str = "default") -> None:
    """Switch the current transaction (and this context) to `firm`; None clears it."""
    _current_firm.set(firm)
    set_database_setting("rebal.firm_id", str(firm.pk) if firm else "", using=using)


def reset_firm() -> None:
    _current_firm.set(None)


@contextmanager
def firm_context(firm: Firm, *, using: str = "default") -> Iterator[Firm]:
    """Run a block for one firm, in one transaction, restoring the previous firm afterwards."""
    previous = _current_firm.get()
    with transaction.atomic(using=using):
        token = _current_firm.set(firm)
        try:
            set_database_setting("rebal.firm_id", str(firm.pk), using=using)
            yield firm
        finally:
            _current_firm.reset(token)
            if connections[using].in_atomic_block and not connections[using].needs_rollback:
                set_database_setting(
                    "rebal.firm_id", str(previous.pk) if previous else "", using=using
                )
