from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rebal.services import firm_create


class Command(BaseCommand):
    help = "Create a firm with its first firm admin, printing the admin's one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default="America/New_York")
        parser.add_argument("--admin", required=True, metavar="EMAIL")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = firm_create(code=options["code"], name=options["name"],
                                  timezone_name=options["timezone"], admin_email=options["admin"],
                                  system_job="create_firm")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Created firm {created.firm.code} ({created.firm.name}).")
        self.stdout.write(f"Admin: {created.admin.email}")
        self.stdout.write(f"One-time password: {created.one_time_password}")
