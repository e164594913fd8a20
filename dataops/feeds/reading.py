"""Bytes of a feed file to a header and raw rows, or FeedRejected for a file that is not CSV.

Everything that makes the file unreadable as a whole (gzip, UTF-8, CSV syntax, an unusable header)
rejects it; a row with the wrong number of fields is only that row's error. Line numbers are
physical: the header is line 1 and a quoted field spanning lines counts each of them, so a person
opening the file in an editor finds the line a report names.
"""

from __future__ import annotations

import csv
import gc
import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from dataops.feeds.naming import FeedRejected

_FOREIGN_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row: its physical line, the column at fault ("": the row as a whole)."""

    line_number: int
    column: str
    reason: str

    @property
    def line(self) -> int:
        """Alias of line_number, for callers that say `line`."""
        return self.line_number


@dataclass(frozen=True, slots=True)
class FeedTable:
    """A readable file: header names (stripped, lower-case, unique) and its rows in file order.

    Each row is (line, {header name: raw value}) with every header name present; rows whose field
    count differs from the header's are left out of `rows` and reported in `row_errors`.
    """

    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    row_errors: tuple[RowError, ...]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work that builds no reference cycles.

    A million rows of small objects make the collector rescan the growing heap again and again,
    more than doubling the time, to free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_feed(name: str, data: bytes) -> FeedTable:
    """The header and rows of `data`, gunzipped first when `name` ends in .gz."""
    gzipped = name.endswith(".gz")
    if not gzipped and data.startswith(_GZIP_MAGIC):
        raise FeedRejected("not UTF-8: the file is gzip-compressed but its name does not end"
                           " in .gz")
    source: io.BufferedIOBase = io.BytesIO(data)
    if gzipped:
        source = gzip.GzipFile(fileobj=source, mode="rb")
    # Decoded and split as a stream, so no copy of the whole text is ever held.
    text = io.TextIOWrapper(io.BufferedReader(_NulRefusing(source), buffer_size=1 << 16),
                            encoding="utf-8-sig", errors="strict", newline="")
    try:
        with collector_paused():
            return _read_csv(text)
    except (EOFError, OSError, zlib.error) as error:
        raise FeedRejected(f"not a valid gzip file: {error}") from None
    except UnicodeDecodeError:
        raise FeedRejected(_utf8_error(data, gzipped)) from None
    except _NulByte as nul:
        raise FeedRejected(_nul_error(data, gzipped, nul.offset)) from None


class _NulByte(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class _NulRefusing(io.RawIOBase):
    """Passes bytes through, raising _NulByte at the first NUL.

    NUL is never text in a feed: it means UTF-16 or a binary file, and PostgreSQL refuses it in
    text, so it is caught here, once per chunk, rather than in every field.
    """

    def __init__(self, source: io.BufferedIOBase) -> None:
        super().__init__()
        self._source = source
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._source.read(len(buffer))
        size = len(chunk)
        buffer[:size] = chunk
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise _NulByte(self._offset + nul)
        self._offset += size
        return size


def _read_csv(text: IO[str]) -> FeedTable:
    reader = csv.reader(text, strict=True)
    previous_line = 0
    header: list[str] = []
    header_line = 0
    try:
        # Blank lines before the header are skipped, still counted in the line numbers.
        for record in reader:
            header_line, previous_line = previous_line + 1, reader.line_num
            if record:
                header = [column.strip().lower() for column in record]
                break
        if not header:
            raise FeedRejected("empty file")
        _check_header(header, header_line)
        width = len(header)
        rows: list[tuple[int, dict[str, str]]] = []
        errors: list[RowError] = []
        append = rows.append  # the loop runs a million times; every lookup saved counts
        for record in reader:
            line = previous_line + 1
            previous_line = reader.line_num
            if len(record) == width:
                append((line, dict(zip(header, record, strict=False))))  # lengths just compared
            elif record:  # a blank line carries no data
                errors.append(RowError(line, "", f"row has {len(record)} fields, the header has"
                                                   f" {width}"))
    except csv.Error as error:
        raise FeedRejected(_csv_error(error, previous_line + 1, reader.line_num)) from None
    return FeedTable(header=tuple(header), rows=tuple(rows), row_errors=tuple(errors))


def _check_header(header: list[str], line: int) -> None:
    if len(header) == 1:
        for delimiter, described in _FOREIGN_DELIMITERS.items():
            if delimiter in header[0]:
                raise FeedRejected(f"wrong delimiter: expected comma, the header on line {line}"
                                   f" is separated by {described}")
    blank = [str(position) for position, column in enumerate(header, start=1) if not column]
    if blank:
        raise FeedRejected(f"header column(s) {', '.join(blank)} on line {line} have no name")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise FeedRejected(f"duplicate column(s) in the header: {', '.join(duplicates)}")


def _csv_error(error: csv.Error, record_line: int, current_line: int) -> str:
    if "unexpected end of data" in str(error):
        return f"not valid CSV: the quoted field starting on line {record_line} is never closed"
    return f"not valid CSV on line {current_line}: {error}"


def _content(data: bytes, gzipped: bool) -> bytes:
    return gzip.decompress(data) if gzipped else data


def _position(content: bytes, offset: int, gzipped: bool) -> str:
    before = content[:offset]
    line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
    where = " of the uncompressed content" if gzipped else ""
    return f"byte offset {offset}{where} (line {line})"


def _utf8_error(data: bytes, gzipped: bool) -> str:
    """Where the first byte that is not UTF-8 sits, found again on the raw bytes (error path)."""
    try:
        content = _content(data, gzipped)
    except (EOFError, OSError, zlib.error) as error:
        # Damaged past the bad text as well: the gzip fault is the one worth reporting.
        return f"not a valid gzip file: {error}"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start
    else:  # pragma: no cover - the stream decoder failed, so the whole decode fails too
        return "not UTF-8"
    return f"not UTF-8: byte 0x{content[offset]:02x} at {_position(content, offset, gzipped)}"


def _nul_error(data: bytes, gzipped: bool, offset: int) -> str:
    position = _position(_content(data, gzipped), offset, gzipped)
    return f"not a text file: NUL byte at {position}; feeds are UTF-8 text"
