"""What a loader receives: the file's good rows, a way to refuse more, and the resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from dataops.feeds.resolver import SecurityResolver
from dataops.models import FeedFile


@dataclass
class BadRow:
    """A row that will not load: where, which column, why, and the account it touches."""

    line_number: int
    column: str
    reason: str
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def account_number(self) -> str:
        return self.raw.get("account_number", "")


@dataclass
class FeedBatch:
    feed_file: FeedFile
    feed: str
    business_date: date
    rows: list[Any]  # dataops.feeds.schemas.ParsedRow, field-valid
    raw_by_line: dict[int, dict[str, str]]  # rows that failed parsing, as delivered
    bad_rows: list[BadRow] = field(default_factory=list)
    rows_loaded: int = 0

    @cached_property
    def resolver(self) -> SecurityResolver:
        return SecurityResolver(as_of=self.business_date, feed_file=self.feed_file)

    @cached_property
    def _rows_by_line(self) -> dict[int, Any]:
        return {row.line_number: row for row in self.rows}

    def refuse(self, line_number: int, column: str, reason: str) -> None:
        """Quarantine a row the loader (or a whole-file rule) found bad."""
        raw = self.raw_by_line.get(line_number)
        if raw is None:
            row = self._rows_by_line.get(line_number)
            values = row.values if row is not None else {}
            raw = {key: "" if value is None else str(value) for key, value in values.items()}
        self.bad_rows.append(BadRow(line_number, column, reason, raw))

    @property
    def bad_lines(self) -> set[int]:
        return {bad.line_number for bad in self.bad_rows}

    def good_rows(self) -> list[Any]:
        bad = self.bad_lines
        return [row for row in self.rows if row.line_number not in bad]
