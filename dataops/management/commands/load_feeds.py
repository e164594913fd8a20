from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dataops.feeds.naming import is_in_transit
from dataops.feeds.ordering import load_order
from dataops.models import FeedFile
from dataops.services.feeds import Delivery, feed_file_receive_for
from rebal.models import Firm


class Command(BaseCommand):
    help = ("Load feed files (or every file in folders) for a firm; prints a summary per file "
            "and exits non-zero if any file was rejected.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="CODE")
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['firm']!r}.")
        files: list[Path] = []
        for raw in options["paths"]:
            path = Path(raw)
            if path.is_dir():
                files.extend(p for p in path.iterdir() if p.is_file())
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        rejected = 0
        for path in sorted(files, key=lambda p: load_order(p.name)):
            if is_in_transit(path.name):
                self.stdout.write(f"{path.name}: skipped (in transit)")
                continue
            feed_file = feed_file_receive_for(
                firm=firm, name=path.name, data=path.read_bytes(),
                delivery=Delivery(door=FeedFile.Door.CLI, delivered_by="load_feeds"))
            rejected += feed_file.status == FeedFile.Status.REJECTED
            seconds = feed_file.duration_seconds
            timing = f" in {seconds:.1f}s" if seconds is not None else ""
            self.stdout.write(
                f"{path.name}: {feed_file.status} — {feed_file.rows_read} read, "
                f"{feed_file.rows_loaded} loaded, {feed_file.rows_quarantined} quarantined"
                f"{timing}" + (f"; {feed_file.error}" if feed_file.error else ""))
        if rejected:
            raise CommandError(f"{rejected} file(s) rejected")
