"""The order files load in when several arrive together: reference data and accounts first
(whatever their dates, so holdings never name what is not yet known), then by business date the
trades and then the snapshots they explain (so reconciliation sees the trades)."""

from __future__ import annotations

from dataops.feeds.naming import FEED_NAMES

FEED_ORDER = ("securities", "prices", "risk_exposures", "risk_covariance", "risk_specific",
              "restrictions", "models", "accounts", "corporate_actions", "transactions",
              "tax_lots", "cash")
assert set(FEED_ORDER) == set(FEED_NAMES)


HOLDINGS = ("transactions", "tax_lots", "cash")


def load_order(name: str) -> tuple[int, str, int, str]:
    """Sort key: reference before holdings; holdings by business date; then feed order, then
    the name (a correction's seq after its original)."""
    feed = next((f for f in sorted(FEED_ORDER, key=len, reverse=True)
                 if name.startswith(f + "_")), "")
    rank = FEED_ORDER.index(feed) if feed else len(FEED_ORDER)
    if feed in HOLDINGS:
        return (1, name[len(feed) + 1:len(feed) + 9], rank, name)
    return (0, "", rank, name)
