"""`make_demo_feeds --accounts N --seed S [--date YYYY-MM-DD] OUTDIR`: a demo firm as feed files."""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dataops.calendar import previous_business_day
from demo.feeds.writer import write_demo_feeds


def _business_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


class Command(BaseCommand):
    help = ("Write a complete, realistic demo firm in the standard feed format into OUTDIR: "
            "securities, prices, accounts, tax lots, cash, transactions, restrictions, risk "
            "model and models, one <feed>_<YYYYMMDD>.csv each, and the lot and cash snapshot "
            "at the start of the transaction window (tax_lots_ and cash_ dated the business "
            "day before it). The same seed and date give byte-identical files.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outdir", metavar="OUTDIR", type=Path,
                            help="folder to write into (created if missing)")
        parser.add_argument("--accounts", metavar="N", type=int, required=True,
                            help="number of accounts")
        parser.add_argument("--seed", metavar="S", type=int, required=True, help="random seed")
        parser.add_argument("--date", metavar="YYYY-MM-DD", type=_business_date, default=None,
                            help="business date (default: the business day before today, "
                                 "the latest whose files a custodian has delivered)")

    def handle(self, *args: Any, **options: Any) -> None:
        accounts: int = options["accounts"]
        if accounts < 1:
            raise CommandError("--accounts must be at least 1")
        business_date: date = options["date"] or previous_business_day(timezone.localdate())
        if business_date.weekday() >= 5:
            raise CommandError(f"--date {business_date} is a weekend day; give a business day")
        started = time.monotonic()
        written = write_demo_feeds(outdir=options["outdir"], accounts=accounts,
                                   seed=options["seed"], business_date=business_date)
        for file in written:
            self.stdout.write(f"{file.path}  {file.rows} rows")
        self.stdout.write(f"Demo firm of {accounts} accounts as of {business_date}, seed "
                          f"{options['seed']}: {len(written)} files in "
                          f"{time.monotonic() - started:.1f} s")
