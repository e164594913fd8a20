from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from optimizer.models import Analysis
from optimizer.records_replay import NotReplayable, replay_analysis
from rebal.firm_context import firm_context
from rebal.models import Firm


class Command(BaseCommand):
    help = ("Rebuild an analysis's inputs from its record, run the optimizer again and show "
            "that it reproduces the stored trades, or the difference (exit status 1).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("record_id", type=int, metavar="RECORD_ID",
                            help="the analysis id")
        parser.add_argument("--firm", metavar="CODE",
                            help="the firm's code (found from the record when omitted)")

    def handle(self, *args: Any, **options: Any) -> None:
        firms = Firm.objects.order_by("pk")
        if options["firm"]:
            firms = firms.filter(code=options["firm"].upper())
        for firm in firms:
            # Row-level security shows a firm's records only inside its context.
            with firm_context(firm):
                analysis = (Analysis.objects.select_related("account")
                            .filter(pk=options["record_id"]).first())
                if analysis is None:
                    continue
                try:
                    replay = replay_analysis(analysis)
                except NotReplayable as error:
                    raise CommandError(str(error)) from error
            break
        else:
            raise CommandError(f"No analysis record {options['record_id']}.")
        write = self.stdout.write
        write(f"Record {analysis.pk}: account {analysis.account.account_number} on "
              f"{analysis.trade_date} ({firm.code}); stored {analysis.status} with "
              f"{len(replay.stored)} trades, replayed {replay.result.status} with "
              f"{len(replay.replayed)} trades.")
        if replay.reproduces:
            write("The replay reproduces the stored trades:")
            for line in replay.stored:
                write(f"  {line}")
            return
        write("The replay differs from the stored trades:")
        for line in replay.only_stored:
            write(f"  stored, not replayed: {line}")
        for line in replay.only_replayed:
            write(f"  replayed, not stored: {line}")
        raise SystemExit(1)
