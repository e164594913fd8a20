"""Feed file names: feed, business date, correction sequence; names in transit."""

from __future__ import annotations

from datetime import date

import pytest

from dataops.feeds.naming import (
    FEED_NAMES,
    FeedName,
    FeedRejected,
    is_in_transit,
    parse_feed_filename,
)


@pytest.mark.parametrize(("name", "parsed"), [
    ("tax_lots_20261124.csv", FeedName("tax_lots", date(2026, 11, 24), 0, False)),
    ("tax_lots_20261124.csv.gz", FeedName("tax_lots", date(2026, 11, 24), 0, True)),
    ("tax_lots_20261124_2.csv", FeedName("tax_lots", date(2026, 11, 24), 2, False)),
    ("risk_covariance_20260228_10.csv.gz",
     FeedName("risk_covariance", date(2026, 2, 28), 10, True)),
    ("inbox/acme/prices_20261124.csv", FeedName("prices", date(2026, 11, 24), 0, False)),
    ("C:\\upload\\cash_20240229.csv", FeedName("cash", date(2024, 2, 29), 0, False)),
])
def test_names_parse(name, parsed):
    assert parse_feed_filename(name) == parsed


@pytest.mark.parametrize("feed", FEED_NAMES)
def test_every_feed_is_named(feed):
    assert parse_feed_filename(f"{feed}_20261124_1.csv").feed == feed


@pytest.mark.parametrize(("name", "reason"), [
    ("positions_20261124.csv",
     "file name 'positions_20261124.csv' names no known feed: 'positions' is not one of "
     + ", ".join(FEED_NAMES)),
    ("Tax_Lots_20261124.csv", "names no known feed: 'Tax_Lots' is not one of"),
    ("tax_lots_20261131.csv",
     "file name 'tax_lots_20261131.csv' has no valid date: 20261131 is not a calendar date"
     " (YYYYMMDD)"),
    ("tax_lots_2026-11-24.csv",
     "file name 'tax_lots_2026-11-24.csv' is not <feed>_<YYYYMMDD>[_<seq>].csv[.gz]"),
    ("tax_lots.csv", "is not <feed>_<YYYYMMDD>[_<seq>].csv[.gz]"),
    ("tax_lots_20261124_b.csv", "is not <feed>_<YYYYMMDD>[_<seq>].csv[.gz]"),
    ("tax_lots_20261124.txt", "file name 'tax_lots_20261124.txt' must end in .csv or .csv.gz"),
    ("tax_lots_20261124.gz", "must end in .csv or .csv.gz"),
    ("tax_lots_20261124_0.csv",
     "file name 'tax_lots_20261124_0.csv': a correction's sequence starts at 1"),
    ("tax_lots_20261124.csv.part",
     "file 'tax_lots_20261124.csv.part' is still in transit (.part, .tmp or hidden)"),
])
def test_bad_names_are_rejected_with_the_reason(name, reason):
    with pytest.raises(FeedRejected) as raised:
        parse_feed_filename(name)
    assert reason in raised.value.reason
    assert str(raised.value) == raised.value.reason


@pytest.mark.parametrize(("name", "in_transit"), [
    ("tax_lots_20261124.csv.part", True),
    ("tax_lots_20261124.csv.tmp", True),
    (".tax_lots_20261124.csv", True),
    ("inbox/acme/.~lock.tax_lots_20261124.csv#", True),
    ("tax_lots_20261124.csv", False),
    ("tax_lots_20261124.csv.gz", False),
    ("inbox/.acme/tax_lots_20261124.csv", False),  # only the file's own name counts
])
def test_in_transit(name, in_transit):
    assert is_in_transit(name) is in_transit
