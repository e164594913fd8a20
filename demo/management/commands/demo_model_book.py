from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.model_book import model_book_ensure
from rebal.models import Firm


class Command(BaseCommand):
    help = "Give the demo firm its model book, contracts and customizations (after its feeds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", default="DEMO", metavar="CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['firm']!r}.")
        summary = model_book_ensure(firm=firm)
        self.stdout.write(f"Model book for {firm.code}: {summary}")
