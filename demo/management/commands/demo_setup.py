from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.services import DEMO_PASSWORD, demo_firm_ensure


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo firm with one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", default="DEMO")

    def handle(self, *args: Any, **options: Any) -> None:
        firm, users = demo_firm_ensure(code=options["code"])
        self.stdout.write(f"Demo firm {firm.code}: sign in at /auth/login/ with any of")
        for role, user in users.items():
            self.stdout.write(f"  {role:16} {user.email}")
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
