"""The rooms that apply a corporate action to their own tables, registered at start-up.

dataops owns the event; each room registers a handler for its tables in its AppConfig.ready()
(dataops: the security master and lists; models_hub: models and sets; accounts: expected lots
and holds), so dataops never imports the rooms above it. Handlers run in `order` when an action
is applied and in reverse order when it is reversed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataops.models import CorporateAction


class CorporateActionProblem(Exception):
    """The action cannot be applied as given (a missing term, an unknown security); the
    message says why in plain English and the action waits for a correction."""


@dataclass(frozen=True)
class CheckOutcome:
    """What a room's integrity checks found: accounts held (failing now), of which newly held
    by this check, accounts released by it, and problems to report."""

    held: frozenset[int] = frozenset()
    released: frozenset[int] = frozenset()
    problems: tuple[str, ...] = ()
    newly_held: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CorporateActionHandler:
    """`apply(action, as_of)` returns what it changed (JSON) for `reverse(action, effects)`;
    `check(as_of)` runs the room's integrity checks after every application step."""

    name: str
    order: int
    apply: Callable[[CorporateAction, date], dict[str, Any]]
    reverse: Callable[[CorporateAction, dict[str, Any]], None]
    check: Callable[[date], CheckOutcome] | None = field(default=None)


_handlers: dict[str, CorporateActionHandler] = {}


def register_corporate_action_handler(handler: CorporateActionHandler) -> None:
    existing = _handlers.get(handler.name)
    if existing is not None and existing != handler:
        raise ValueError(f"a corporate-action handler {handler.name!r} is already registered")
    _handlers[handler.name] = handler


def corporate_action_handlers() -> list[CorporateActionHandler]:
    return sorted(_handlers.values(), key=lambda handler: handler.order)
