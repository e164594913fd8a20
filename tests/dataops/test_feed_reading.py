"""Reading feed bytes: what rejects a file whole, what is one row's error, and line numbers."""

from __future__ import annotations

import gc
import gzip

import pytest

from dataops.feeds.naming import FeedRejected
from dataops.feeds.reading import FeedTable, RowError, collector_paused, read_feed

CASH = "cash_20261124.csv"
LOTS_HEADER = "account_number,cusip,lot_id,quantity,cost_basis,acquired_date"


def csv_bytes(*lines: str, ending: str = "\n") -> bytes:
    return "".join(line + ending for line in lines).encode()


def rejection(name: str, data: bytes) -> str:
    with pytest.raises(FeedRejected) as raised:
        read_feed(name, data)
    return raised.value.reason


def test_header_is_stripped_and_lower_cased_and_rows_keep_their_raw_values():
    table = read_feed(CASH, csv_bytes(" Account_Number ,CASH", "A1, 10.50 ", "A2,-3"))
    assert table == FeedTable(
        header=("account_number", "cash"),
        rows=((2, {"account_number": "A1", "cash": " 10.50 "}),
              (3, {"account_number": "A2", "cash": "-3"})),
        row_errors=())


def test_a_bom_is_tolerated():
    table = read_feed(CASH, b"\xef\xbb\xbf" + csv_bytes("account_number,cash", "A1,1"))
    assert table.header == ("account_number", "cash")
    assert table.rows == ((2, {"account_number": "A1", "cash": "1"}),)


def test_gzip_reads_like_the_plain_file():
    plain = b"\xef\xbb\xbf" + csv_bytes(LOTS_HEADER, "A1,037833100,L1,10,1500.00,2024-01-02",
                                        ending="\r\n")
    assert read_feed("tax_lots_20261124.csv.gz", gzip.compress(plain)) == read_feed(
        "tax_lots_20261124.csv", plain)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"\r\n"])
def test_an_empty_file_is_rejected(data):
    assert rejection(CASH, data) == "empty file"


def test_a_header_alone_is_an_empty_snapshot():
    table = read_feed(CASH, csv_bytes("account_number,cash"))
    assert table == FeedTable(header=("account_number", "cash"), rows=(), row_errors=())
    assert read_feed(CASH, b"account_number,cash").header == ("account_number", "cash")


@pytest.mark.parametrize(("header", "described"), [
    ("account_number;cash", "';'"), ("account_number\tcash", "tab"), ("account_number|cash", "'|'"),
])
def test_a_wrong_delimiter_is_rejected(header, described):
    assert rejection(CASH, csv_bytes(header, "A1;10")) == (
        f"wrong delimiter: expected comma, the header on line 1 is separated by {described}")


def test_a_latin_1_byte_is_rejected_naming_its_offset():
    data = csv_bytes("account_number,account_name", "A1,Smith", "A2,Dupr").replace(
        b"Dupr", "Dupré".encode("latin-1"))
    assert data.index(b"\xe9") == 44  # 28 + 9 + len("A2,Dupr")
    assert rejection("accounts_20261124.csv", data) == (
        "not UTF-8: byte 0xe9 at byte offset 44 (line 3)")


def test_a_latin_1_byte_inside_gzip_names_the_uncompressed_offset():
    data = gzip.compress(b"account_number,cash\nA\xe9,1\n")
    assert rejection("cash_20261124.csv.gz", data) == (
        "not UTF-8: byte 0xe9 at byte offset 21 of the uncompressed content (line 2)")


def test_a_truncated_gzip_is_rejected():
    data = gzip.compress(csv_bytes(LOTS_HEADER, *["A1,037833100,L1,10,1500,2024-01-02"] * 100))
    assert rejection("tax_lots_20261124.csv.gz", data[: len(data) // 2]) == (
        "not a valid gzip file: Compressed file ended before the end-of-stream marker was reached")


def test_a_gz_name_on_plain_text_is_rejected():
    assert rejection("cash_20261124.csv.gz", csv_bytes("account_number,cash")) == (
        "not a valid gzip file: Not a gzipped file (b'ac')")


def test_gzip_content_under_a_csv_name_is_rejected():
    assert rejection(CASH, gzip.compress(csv_bytes("account_number,cash"))) == (
        "not UTF-8: the file is gzip-compressed but its name does not end in .gz")


def test_utf_16_is_rejected_as_not_text():
    data = "account_number,cash\nA1,1\n".encode("utf-16-le")
    assert rejection(CASH, data) == (
        "not a text file: NUL byte at byte offset 1 (line 1); feeds are UTF-8 text")


def test_quoted_fields_spanning_lines_count_every_physical_line():
    data = csv_bytes(
        "action_id,type,description",
        'CA1,split,"two',  # line 2: the row starts here and runs to line 4
        "for",
        'one"',
        "CA2,split,plain",  # line 5
        "",  # a blank line carries no data but is counted
        'CA3,split,"a ""quoted"" word"',  # line 7
        ending="\r\n")
    table = read_feed("corporate_actions_20261124.csv", data)
    assert [(line, raw["action_id"]) for line, raw in table.rows] == [
        (2, "CA1"), (5, "CA2"), (7, "CA3")]
    assert table.rows[0][1]["description"] == "two\r\nfor\r\none"
    assert table.rows[2][1]["description"] == 'a "quoted" word'


def test_a_row_with_the_wrong_number_of_fields_is_a_row_error():
    table = read_feed(CASH, csv_bytes("account_number,cash", "A1,1", "A2,2,extra", "A3", "A4,4"))
    assert [line for line, _ in table.rows] == [2, 5]
    assert table.row_errors == (RowError(3, "", "row has 3 fields, the header has 2"),
                                RowError(4, "", "row has 1 fields, the header has 2"))
    assert table.row_errors[0].line == table.row_errors[0].line_number == 3


def test_blank_lines_before_the_header_are_skipped_and_counted():
    table = read_feed(CASH, csv_bytes("", "account_number,cash", "A1,1"))
    assert table.rows == ((3, {"account_number": "A1", "cash": "1"}),)


@pytest.mark.parametrize(("header", "reason"), [
    ("account_number,Cash,CASH ", "duplicate column(s) in the header: cash"),
    ("account_number,cash,", "header column(s) 3 on line 1 have no name"),
])
def test_an_unusable_header_is_rejected(header, reason):
    assert rejection(CASH, csv_bytes(header, "A1,1,2")) == reason


@pytest.mark.parametrize(("lines", "reason"), [
    (("account_number,cash", 'A1,"1', "A2,2"),
     "not valid CSV: the quoted field starting on line 2 is never closed"),
    (("account_number,cash", "A1,1", 'A2,"2"x'),
     "not valid CSV on line 3: ',' expected after '\"'"),
])
def test_broken_quoting_is_rejected(lines, reason):
    assert rejection(CASH, csv_bytes(*lines)) == reason


def test_the_collector_is_restored_after_a_read():
    assert gc.isenabled()
    with pytest.raises(FeedRejected):
        read_feed(CASH, b"")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
