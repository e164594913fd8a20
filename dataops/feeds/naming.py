"""Feed file names: `<feed>_<YYYYMMDD>[_<seq>].csv[.gz]`, and names still in transit.

A name is judged by its last path component only, so an upload's client-side path or an inbox
path can be passed as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

FEED_NAMES: tuple[str, ...] = (
    "securities", "prices", "accounts", "tax_lots", "cash", "transactions", "corporate_actions",
    "restrictions", "risk_exposures", "risk_covariance", "risk_specific", "models",
)
_IN_TRANSIT_SUFFIXES = (".part", ".tmp")
# Feed names hold no digits, so the first `_<8 digits>` ends the feed name unambiguously.
_STEM = re.compile(r"(?P<feed>.+?)_(?P<date>[0-9]{8})(?:_(?P<seq>[0-9]+))?")


class FeedRejected(Exception):
    """A whole file is refused; `reason` says why in words for the person who sent it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedName:
    """A parsed file name; `seq` is 0 for a feed and date's first file, >= 1 for a correction."""

    feed: str
    business_date: date
    seq: int
    gzipped: bool


def _base_name(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def is_in_transit(name: str) -> bool:
    """True for names a sender is still writing (`.part`, `.tmp`) or hides (`.` prefix)."""
    base = _base_name(name)
    return base.startswith(".") or base.endswith(_IN_TRANSIT_SUFFIXES)


def parse_feed_filename(name: str) -> FeedName:
    """The feed, business date and sequence a file name declares; FeedRejected if it has none."""
    base = _base_name(name)
    if is_in_transit(base):
        raise FeedRejected(f"file {base!r} is still in transit (.part, .tmp or hidden)")
    gzipped = base.endswith(".csv.gz")
    if not (gzipped or base.endswith(".csv")):
        raise FeedRejected(f"file name {base!r} must end in .csv or .csv.gz")
    stem = base.removesuffix(".gz").removesuffix(".csv")
    match = _STEM.fullmatch(stem)
    if match is None:
        raise FeedRejected(f"file name {base!r} is not <feed>_<YYYYMMDD>[_<seq>].csv[.gz]")
    feed = match["feed"]
    if feed not in FEED_NAMES:
        raise FeedRejected(f"file name {base!r} names no known feed: {feed!r} is not one of "
                           + ", ".join(FEED_NAMES))
    try:
        business_date = date(int(match["date"][:4]), int(match["date"][4:6]),
                             int(match["date"][6:]))
    except ValueError:
        raise FeedRejected(f"file name {base!r} has no valid date: {match['date']} is not a "
                           "calendar date (YYYYMMDD)") from None
    seq = int(match["seq"] or 0)
    if match["seq"] is not None and seq == 0:
        # `_0` would be indistinguishable from the original file, which has no sequence.
        raise FeedRejected(f"file name {base!r}: a correction's sequence starts at 1")
    return FeedName(feed=feed, business_date=business_date, seq=seq, gzipped=gzipped)
