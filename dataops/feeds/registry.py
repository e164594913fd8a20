"""Which loader writes which feed. Each app registers the loaders for its own tables in its
AppConfig.ready(), so dataops never imports the rooms above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataops.feeds.batch import FeedBatch

Loader = Callable[["FeedBatch"], None]

_loaders: dict[str, Loader] = {}


def register_loader(feed: str, loader: Loader) -> None:
    if feed in _loaders and _loaders[feed] is not loader:
        raise ValueError(f"a loader for {feed!r} is already registered")
    _loaders[feed] = loader


def loader_for(feed: str) -> Loader | None:
    return _loaders.get(feed)


# Hooks a higher room registers: called with (firm, security ids) when unknown securities are
# resolved, so accounts can clear the holds they caused.
_resolution_hooks: list[Callable[..., None]] = []


def on_unknown_security_resolved(hook: Callable[..., None]) -> None:
    if hook not in _resolution_hooks:
        _resolution_hooks.append(hook)


def unknown_security_resolution_hooks() -> list[Callable[..., None]]:
    return list(_resolution_hooks)


# Hooks called with (feed, business_date) once a scheduled feed's cutoff has passed, received or
# not: accounts holds the accounts whose holdings are then stale.
_due_hooks: list[Callable[..., None]] = []


def on_feed_due(hook: Callable[..., None]) -> None:
    if hook not in _due_hooks:
        _due_hooks.append(hook)


def feed_due_hooks() -> list[Callable[..., None]]:
    return list(_due_hooks)


# Hooks called with (feed_file) after a file of one of their feeds has loaded (with or without
# bad rows): corporate actions are applied and checked again when actions, prices or lots arrive.
_loaded_hooks: dict[str, list[Callable[..., None]]] = {}


def on_feed_loaded(feeds: list[str], hook: Callable[..., None]) -> None:
    for feed in feeds:
        hooks = _loaded_hooks.setdefault(feed, [])
        if hook not in hooks:
            hooks.append(hook)


def feed_loaded_hooks(feed: str) -> list[Callable[..., None]]:
    return list(_loaded_hooks.get(feed, []))


# Hooks called with (feed_file) before a file of one of their feeds is read: corporate actions
# due by its date are applied first, so that a file naming a new CUSIP or ticker resolves it.
_loading_hooks: dict[str, list[Callable[..., None]]] = {}


def on_feed_loading(feeds: list[str], hook: Callable[..., None]) -> None:
    for feed in feeds:
        hooks = _loading_hooks.setdefault(feed, [])
        if hook not in hooks:
            hooks.append(hook)


def feed_loading_hooks(feed: str) -> list[Callable[..., None]]:
    return list(_loading_hooks.get(feed, []))
