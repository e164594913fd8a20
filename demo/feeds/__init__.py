"""A complete demo firm written in the standard feed format (/work/shared/FEEDS.md).

`universe` builds the security master (S&P 500 members from public data, index ETFs and mutual
funds) and the security models; `market` the prices and the factor risk model; `book` the
households, accounts, lots, cash and transactions; `restrictions` the ESG and firm lists;
`writer` turns all of it into `<feed>_<YYYYMMDD>.csv` files.

Everything is drawn from `random.Random` instances seeded from the command's seed and a fixed
label per part, so the same seed and business date give byte-identical files, and the market does
not change with the number of accounts. Per-ticker attributes (CUSIP, made-up market cap, dividend
yield) depend on the ticker only, so they are the same whatever the seed.
"""

from __future__ import annotations

import random


def seeded_random(*parts: object) -> random.Random:
    """A generator seeded from `parts` (str seeds hash with SHA-512: stable across processes).

    Reproducible demo data, never secrets: the standard generator is the right tool.
    """
    return random.Random(":".join(["rebal-demo", *map(str, parts)]))  # noqa: S311
