"""The firm's inbox folder: complete files are loaded and moved aside; files in transit wait.

A file is never lost to a fault of our disks: when it cannot be stored (a full disk) it stays in
the inbox, is tried again at the next scan and the data manager is alerted; when the inbox is
read-only, a loaded file cannot be moved aside, so it stays where it is, is recognized by name
and checksum at the next scans (never loaded twice), and the alert says so.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from dataops.feeds.naming import is_in_transit
from dataops.feeds.ordering import load_order
from dataops.models import FeedFile
from dataops.services.feeds import Delivery, FeedNotStored, feed_file_receive
from rebal.firm_context import require_firm
from rebal.models import Role
from rebal.services import alert_raise

PROCESSED = ".processed"  # a dot folder: never read as a file


def inbox_path(firm_code: str) -> Path:
    return Path(settings.FEED_INBOX) / firm_code


def inbox_scan() -> list[FeedFile]:
    """Load every complete file in the current firm's inbox, oldest name first."""
    firm = require_firm()
    folder = inbox_path(firm.code)
    if not folder.is_dir():
        return []
    done = folder / PROCESSED
    try:
        done.mkdir(exist_ok=True)
    except OSError as error:
        _alert(folder, "inbox_unwritable", f"The inbox {folder} is not writable ({error}); "
               "files are loaded but cannot be moved aside.")
    received = []
    for path in sorted((p for p in folder.iterdir() if p.is_file()),
                       key=lambda p: load_order(p.name)):
        if is_in_transit(path.name):
            continue
        data = path.read_bytes()
        checksum = hashlib.sha256(data).hexdigest()
        already = _received_but_not_moved(folder, path.name, checksum)
        if already is None:
            try:
                already = feed_file_receive(
                    name=path.name, data=data,
                    delivery=Delivery(door=FeedFile.Door.INBOX, delivered_by=f"inbox {folder}"))
            except FeedNotStored:  # alerted; the file waits here for the next scan
                continue
            received.append(already)
        try:
            path.rename(done / f"{already.pk}_{path.name}")
        except OSError as error:
            _alert(folder, "inbox_unwritable",
                   f"{path.name} was received as file {already.pk} but could not be moved out "
                   f"of the inbox {folder} ({error}); it stays there and is not loaded again.")
    return received


def _received_but_not_moved(folder: Path, name: str, checksum: str) -> FeedFile | None:
    """The file received from this inbox earlier that a read-only inbox kept in place (a file
    sent again after its first copy was moved aside is a new delivery, received again)."""
    for earlier in FeedFile.objects.filter(name=name, checksum=checksum,
                                           door=FeedFile.Door.INBOX).order_by("pk"):
        if not (folder / PROCESSED / f"{earlier.pk}_{name}").exists():
            return earlier
    return None


def _alert(folder: Path, kind: str, message: str) -> None:
    alert_raise(firm=require_firm(), kind=kind, severity="warning", subject=f"inbox {folder.name}",
                message=message, roles=[Role.DATA_MANAGER])
