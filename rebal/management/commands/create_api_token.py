from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rebal.firm_context import firm_context
from rebal.models import Firm
from rebal.services import api_token_create


class Command(BaseCommand):
    help = "Issue a firm API token with the given scopes; the token is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="CODE")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", required=True, nargs="+", dest="scopes")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['firm']!r}.")
        try:
            with firm_context(firm):
                issued = api_token_create(name=options["name"], scopes=options["scopes"],
                                          acting_user=None, system_job="create_api_token")
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Token {issued.token.name} for {firm.code} "
                          f"(scopes: {', '.join(issued.token.scopes)}). Shown once:")
        self.stdout.write(issued.value)
