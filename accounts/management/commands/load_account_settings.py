from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services.settings import account_settings_load
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm


class Command(BaseCommand):
    help = ("Load a settings file (account_number, setting, value) for a firm: checked exactly "
            "as the pages and the API check a change, and loaded whole or not at all.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="CODE")
        parser.add_argument("--reason", required=True)
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['firm']!r}.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with firm_context(firm), audit_context(system_job="load_account_settings"):
                result = account_settings_load(data=path.read_bytes(),
                                               reason=options["reason"], acting_user=None)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        self.stdout.write(f"{path.name}: {result.settings_changed} setting(s) of "
                          f"{result.accounts_changed} account(s) changed")
