"""How fast a large tax_lots file reads and parses: `python bench/feed_reading.py [rows]`.

Generates the file in memory (a million rows by default, about 80 MB), then times read_feed and
parse_table separately and together, plain and gzipped. Not a test: it prints rows per second.
"""

from __future__ import annotations

import gzip
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dataops.feeds.reading import read_feed
from dataops.feeds.schemas import parse_table

CUSIPS = ("037833100", "594918104", "02079K305", "38259P508", "023135106")
TICKERS = ("AAPL", "MSFT", "GOOG", "GOOGL", "AMZN")


def tax_lots_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("account_number,cusip,ticker,lot_id,quantity,cost_basis,acquired_date,"
              "holding_period_start,wash_sale_adjustment\n")
    for number in range(rows):
        security = number % len(CUSIPS)
        out.write(f"A{number // 40:07d},{CUSIPS[security]},{TICKERS[security]},L{number:08d},"
                  f"{number % 997 + 1}.125,{(number * 37) % 100_000 + 10}.37,"
                  f"20{10 + number % 15}-{number % 12 + 1:02d}-{number % 28 + 1:02d},,"
                  f"{'12.50' if number % 50 == 0 else ''}\n")
    return out.getvalue().encode()


def report(label: str, rows: int, seconds: float) -> None:
    print(f"{label:<34} {seconds:6.2f} s  {rows / seconds:>12,.0f} rows/s")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = tax_lots_csv(rows)
    compressed = gzip.compress(data, compresslevel=6)
    print(f"tax_lots: {rows:,} rows, {len(data) / 1e6:.0f} MB ({len(compressed) / 1e6:.0f} MB gz)")
    start = time.perf_counter()
    table = read_feed("tax_lots_20261124.csv", data)
    read = time.perf_counter()
    parsed = parse_table("tax_lots", table)
    done = time.perf_counter()
    assert len(parsed.rows) == rows and not parsed.errors, parsed.errors[:3]
    report("read_feed", rows, read - start)
    report("parse_table (parse_row + validate)", rows, done - read)
    report("read + parse", rows, done - start)
    del table, parsed
    start = time.perf_counter()
    read_feed("tax_lots_20261124.csv.gz", compressed)
    report("read_feed (gzipped)", rows, time.perf_counter() - start)


if __name__ == "__main__":
    main()
