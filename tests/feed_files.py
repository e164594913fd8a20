"""Small, exact feed files for the loading tests, written as a custodian would send them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

# Real CUSIPs (valid check digits).
AAPL, MSFT, XOM, AMZN = "037833100", "594918104", "30231G102", "023135106"


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def securities(extra: list[list[object]] | None = None) -> bytes:
    return csv_bytes(
        ["cusip", "ticker", "name", "security_type", "asset_class", "sector", "identical_group"],
        [[AAPL, "AAPL", "Apple Inc.", "equity", "EQ.US.LARGE", "Information Technology", ""],
         [MSFT, "MSFT", "Microsoft Corp.", "equity", "EQ.US.LARGE", "Information Technology",
          ""],
         [XOM, "XOM", "Exxon Mobil Corp.", "equity", "EQ.US.LARGE", "Energy", ""],
         *(extra or [])])


def accounts(rows: list[list[object]] | None = None) -> bytes:
    return csv_bytes(
        ["account_number", "account_name", "household_code", "tax_entity", "advisor",
         "registration", "tax_status", "status", "discretionary", "approved_for_trading",
         "program", "opened_date", "x_tier", "x_family"],
        rows or [
            ["A-1", "Smith Joint", "HH-SMITH", "TE-SMITH", "", "joint", "taxable", "open", "Y",
             "Y", "BAL60", "2019-04-01", "Platinum", "Smith"],
            ["A-2", "Smith IRA", "HH-SMITH", "TE-SMITH", "", "ira", "tax_deferred", "open", "Y",
             "Y", "BAL60", "2019-04-01", "Platinum", "Smith"],
            ["B-1", "Jones Individual", "HH-JONES", "", "", "individual", "taxable", "open", "N",
             "Y", "GROWTH80", "2021-01-15", "Gold", "Jones"],
        ])


LOT_HEADER = ["account_number", "cusip", "ticker", "lot_id", "quantity", "cost_basis",
              "acquired_date", "holding_period_start", "wash_sale_adjustment"]


def tax_lots(rows: list[list[object]] | None = None) -> bytes:
    return csv_bytes(LOT_HEADER, rows if rows is not None else [
        ["A-1", AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
        ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", "120.00"],
        ["B-1", AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""],
    ])


def cash(rows: list[list[object]] | None = None) -> bytes:
    return csv_bytes(["account_number", "cash", "pending_withdrawal"], rows or [
        ["A-1", "2500.00", "0"], ["A-2", "100.00", ""], ["B-1", "50.25", "25.00"]])


def prices(day: str) -> bytes:
    return csv_bytes(["as_of_date", "cusip", "ticker", "close"], [
        [day, AAPL, "AAPL", "231.40"], [day, MSFT, "MSFT", "415.10"], [day, XOM, "XOM", "112.35"]])


def transactions(rows: list[list[object]]) -> bytes:
    return csv_bytes(["account_number", "transaction_id", "trade_date", "settle_date", "type",
                      "cusip", "ticker", "quantity", "price", "amount", "lot_id",
                      "realized_gain", "cancels"], rows)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
