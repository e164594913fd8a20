from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rebal.firm_export import firm_export
from rebal.models import Firm


class Command(BaseCommand):
    help = ("Write all of a firm's data, records and history to a zip of CSV files with a "
            "manifest of checksums (offboarding and hand-over). Deletes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["code"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['code']!r}.")
        export = firm_export(firm=firm, path=options["path"])
        rows = sum(file.rows for file in export.files)
        self.stdout.write(f"Exported firm {firm.code}: {len(export.files)} files, {rows} rows, "
                          f"to {export.path}")
        self.stdout.write(f"SHA-256 {export.sha256}")
