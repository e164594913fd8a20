"""The firm's inbox folder: complete files are loaded and moved aside; files in transit wait."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from dataops.feeds.naming import is_in_transit
from dataops.feeds.ordering import load_order
from dataops.models import FeedFile
from dataops.services.feeds import Delivery, feed_file_receive
from rebal.firm_context import require_firm

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
    done.mkdir(exist_ok=True)
    received = []
    for path in sorted((p for p in folder.iterdir() if p.is_file()),
                       key=lambda p: load_order(p.name)):
        if is_in_transit(path.name):
            continue
        received.append(feed_file_receive(
            name=path.name, data=path.read_bytes(),
            delivery=Delivery(door=FeedFile.Door.INBOX, delivered_by=f"inbox {folder}")))
        path.rename(done / f"{received[-1].pk}_{path.name}")
    return received
