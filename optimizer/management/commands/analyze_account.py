from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Account
from optimizer.account_inputs import AccountNotAnalyzable, account_inputs
from optimizer.core.analyze import analyze
from optimizer.services import analysis_store
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm


class Command(BaseCommand):
    help = "Analyze one account from the database and print its trades, reasons and metrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="CODE")
        parser.add_argument("--account", required=True, metavar="NUMBER")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)
        parser.add_argument("--save", action="store_true",
                            help="store the analysis and its proposed trades")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(code=options["firm"].upper()).first()
        if firm is None:
            raise CommandError(f"No firm with code {options['firm']!r}.")
        as_of = options["as_of"] or timezone.localdate()
        with firm_context(firm):
            account = Account.objects.filter(account_number=options["account"]).first()
            if account is None:
                raise CommandError(f"No account {options['account']} in {firm.code}.")
            try:
                inputs = account_inputs(account, as_of)
            except AccountNotAnalyzable as refused:
                raise CommandError(f"{account.account_number} is not analyzed: {refused}") from None
            result = analyze(inputs.snapshot, inputs.target, inputs.settings, inputs.risk,
                             **inputs.analyze_kwargs(as_of))
            if options["save"]:
                with audit_context(system_job="analyze_account"):
                    stored = analysis_store(account=account, inputs=inputs, result=result)
                self.stdout.write(f"stored as analysis {stored.pk}")
        write = self.stdout.write
        write(f"{account.account_number} {account.name} on {as_of}: {result.status} — "
              f"{result.summary}")
        for note in (*inputs.notes, *result.notes):
            write(f"  note: {note}")
        for relaxation in result.relaxations:
            write(f"  relaxed: {relaxation.text}")
        for trade in result.trades:
            write(f"  {trade.side} {trade.shares} {trade.symbol} @ {trade.price}: "
                  f"{trade.explanation}")
        before, after = result.before, result.after
        write(f"  tracking error {before.tracking_error:.2%} -> {after.tracking_error:.2%}; "
              f"cash {before.cash} -> {after.cash}; turnover "
              f"{result.trade_metrics.turnover:.1%}")
