"""Receiving and loading feed files: one path behind the inbox, the API and the command line.

A file is recorded first (checksum, size, who delivered it); the same checksum again is a
recorded no-op. Loading is atomic: the loader writes the file's good rows inside a savepoint,
which is rolled back whole when the file is rejected (bad-row threshold, an unexpected error).
Bad rows are quarantined with line, column and reason. A file that cannot be stored (a full or
failing disk) is not recorded at all: the data manager is alerted and the caller told to keep it
(`FeedNotStored`), so that it is delivered again rather than lost.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dataops.feeds.batch import BadRow, FeedBatch
from dataops.feeds.naming import FeedRejected, parse_feed_filename
from dataops.feeds.reading import collector_paused, read_feed
from dataops.feeds.registry import feed_loaded_hooks, feed_loading_hooks, loader_for
from dataops.feeds.schemas import ParsedRow, check_header, parse_row, validate_file
from dataops.models import FeedFile, FeedPolicy, QuarantinedRow
from rebal.audit import audit_context
from rebal.firm_context import firm_context, require_firm
from rebal.models import Role
from rebal.services import alert_raise

logger = logging.getLogger(__name__)

# Feeds whose rows describe the present state rather than a date's data: an older file than
# one already loaded is kept as history and must not overwrite newer data.
STATE_FEEDS = {"securities", "accounts", "restrictions"}


class FeedNotStored(Exception):
    """The file could not be written to the file store; nothing was recorded."""


@dataclass(frozen=True)
class Delivery:
    door: str  # FeedFile.Door
    delivered_by: str
    user: Any = None
    api_token: Any = None


def _store(firm_code: str, checksum: str, name: str, data: bytes) -> str:
    folder = Path(settings.STATE_DIR) / "feeds" / firm_code
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{checksum[:16]}_{Path(name).name}"
    if not path.exists():
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_bytes(data)
            partial.rename(path)  # whole or not at all
        finally:
            partial.unlink(missing_ok=True)
    return str(path)


def feed_file_receive(*, name: str, data: bytes, delivery: Delivery) -> FeedFile:
    """Record and load one file for the firm in context; never raises for bad input."""
    firm = require_firm()
    name = Path(name).name
    checksum = hashlib.sha256(data).hexdigest()
    try:
        stored_path = _store(firm.code, checksum, name, data)
    except OSError as error:
        message = (f"{name} ({len(data)} bytes, from {delivery.delivered_by}) could not be "
                   f"stored: {error.strerror or error}. Nothing was recorded or loaded; an "
                   "inbox file stays in the inbox and is tried again, an upload must be sent "
                   "again.")
        alert_raise(firm=firm, kind="feed_not_stored", severity="critical",
                    subject=f"file {name}", message=message, roles=[Role.DATA_MANAGER])
        raise FeedNotStored(message) from error
    with audit_context(user=delivery.user, api_token=delivery.api_token,
                       system_job="" if delivery.user or delivery.api_token else delivery.door,
                       reason=f"file {name}"):
        with transaction.atomic():
            original = (FeedFile.objects.filter(checksum=checksum)
                        .exclude(status=FeedFile.Status.DUPLICATE).order_by("pk").first())
            feed_file = FeedFile.objects.create(
                name=name, checksum=checksum, size=len(data), door=delivery.door,
                delivered_by=delivery.delivered_by, stored_path=stored_path)
            if original is not None:
                feed_file.status = FeedFile.Status.DUPLICATE
                feed_file.duplicate_of = original
                feed_file.feed, feed_file.business_date = original.feed, original.business_date
                feed_file.error = (f"same file as {original.name} received "
                                   f"{original.received_at:%Y-%m-%d %H:%M} UTC; nothing loaded")
                feed_file.save()
                return feed_file
        _load(feed_file, data)
    return feed_file


def _reject(feed_file: FeedFile, reason: str) -> None:
    feed_file.status = FeedFile.Status.REJECTED
    feed_file.error = reason
    feed_file.rows_loaded = 0
    feed_file.finished_at = timezone.now()
    feed_file.save()


def _is_older_than_loaded(feed_file: FeedFile) -> FeedFile | None:
    return (FeedFile.objects.filter(feed=feed_file.feed,
                                    business_date__gt=feed_file.business_date,
                                    status__in=[FeedFile.Status.LOADED,
                                                FeedFile.Status.LOADED_WITH_ERRORS])
            .order_by("-business_date").first())


def _load(feed_file: FeedFile, data: bytes) -> None:
    feed_file.started_at = timezone.now()
    try:
        name = parse_feed_filename(feed_file.name)
        feed_file.feed, feed_file.business_date, feed_file.seq = (
            name.feed, name.business_date, name.seq)
        feed_file.save()
        table = read_feed(feed_file.name, data)
        check_header(name.feed, table.header)
    except FeedRejected as rejected:
        _reject(feed_file, str(rejected))
        return
    loader = loader_for(name.feed)
    if loader is None:
        _reject(feed_file, f"Rebal does not load the {name.feed} feed yet; nothing loaded")
        return
    if name.feed in STATE_FEEDS and (newer := _is_older_than_loaded(feed_file)):
        feed_file.status = FeedFile.Status.HISTORY
        feed_file.rows_read = len(table.rows)
        feed_file.error = (f"older than {newer.name}, already loaded: kept as history, "
                           "newer data not overwritten")
        feed_file.finished_at = timezone.now()
        feed_file.save()
        return
    feed_file.rows_read = len(table.rows) + len(table.row_errors)
    bad = [BadRow(e.line_number, e.column or "", e.reason) for e in table.row_errors]
    raw_rows: list[Any] = list(table.rows)
    del table  # parse row by row, releasing each raw row: a million rows twice is too much
    parsed: list[ParsedRow] = []
    raw_by_line: dict[int, dict[str, str]] = {}
    with collector_paused():
        for index, (line_number, raw) in enumerate(raw_rows):
            raw_rows[index] = None
            result = parse_row(name.feed, line_number, raw)
            if isinstance(result, list):
                raw_by_line[line_number] = raw
                bad.extend(BadRow(e.line_number, e.column or "", e.reason, raw) for e in result)
            else:
                parsed.append(result)
    del raw_rows
    _run_hooks(feed_loading_hooks(name.feed), feed_file)
    batch = FeedBatch(feed_file=feed_file, feed=name.feed, business_date=name.business_date,
                      rows=parsed, raw_by_line=raw_by_line, bad_rows=bad)
    for error in validate_file(name.feed, parsed):
        batch.refuse(error.line_number, error.column or "", error.reason)
    try:
        with transaction.atomic():
            loader(batch)
            limit = _bad_row_limit()
            bad_lines = len(batch.bad_lines)
            if feed_file.rows_read and Decimal(bad_lines) / feed_file.rows_read > limit:
                raise _TooManyBadRows(
                    f"{bad_lines} of {feed_file.rows_read} rows are bad, more than the firm's "
                    f"limit of {limit:.0%}: file rejected, nothing loaded")
    except _TooManyBadRows as too_many:
        _quarantine(feed_file, batch.bad_rows)
        _reject(feed_file, str(too_many))
        feed_file.rows_quarantined = len(batch.bad_lines)
        feed_file.save()
        return
    except Exception as error:  # a loader bug must not lose the file or crash the door
        logger.exception("loading %s failed", feed_file.name)
        _reject(feed_file, f"internal error while loading ({type(error).__name__}); "
                           "nothing loaded, the operator has been told")
        return
    _quarantine(feed_file, batch.bad_rows)
    feed_file.rows_loaded = batch.rows_loaded
    feed_file.rows_quarantined = len(batch.bad_lines)
    feed_file.status = (FeedFile.Status.LOADED_WITH_ERRORS if batch.bad_rows
                        else FeedFile.Status.LOADED)
    feed_file.finished_at = timezone.now()
    feed_file.save()
    _run_hooks(feed_loaded_hooks(name.feed), feed_file)


def _run_hooks(hooks: list[Any], feed_file: FeedFile) -> None:
    for hook in hooks:
        try:
            with transaction.atomic():
                hook(feed_file=feed_file)
        except Exception:  # the file still loads; the nightly cycle runs the step again
            logger.exception("with %s, %s failed", feed_file.name, hook.__name__)


class _TooManyBadRows(Exception):
    pass


def _bad_row_limit() -> Decimal:
    policy = FeedPolicy.objects.first()
    return Decimal(policy.max_bad_row_fraction) if policy else Decimal("0.2")


def _quarantine(feed_file: FeedFile, bad_rows: list[BadRow]) -> None:
    QuarantinedRow.objects.bulk_create([
        QuarantinedRow(firm_id=feed_file.firm_id, feed_file=feed_file,
                       line_number=bad.line_number, column=bad.column, reason=bad.reason,
                       account_number=bad.account_number, raw=bad.raw)
        for bad in sorted(bad_rows, key=lambda b: (b.line_number, b.column))
    ], batch_size=2000)


def feed_file_receive_for(*, firm: Any, name: str, data: bytes, delivery: Delivery) -> FeedFile:
    """The same, entering the firm's context first (commands, inbox tasks)."""
    with firm_context(firm):
        return feed_file_receive(name=name, data=data, delivery=delivery)
