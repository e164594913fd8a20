"""Reading rendered pages in tests: the elements a page marks with `data-testid`."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Elements that begin a new line or box: their text is separated from what came before.
BLOCKS = {"br", "div", "dd", "dt", "h1", "h2", "h3", "li", "p", "section", "td", "th", "tr"}


def _squeeze(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


@dataclass
class _Element:
    text: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self, testid: str):
        super().__init__()
        self.testid = testid
        self.depth = 0  # how deep inside the current marked element; 0 is outside
        self.elements: list[_Element] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS and self.depth:
            self.handle_data(" ")
        if tag in VOID:
            return
        if self.depth:
            self.depth += 1
            if tag in ("td", "th") and self.cell is None:
                self.cell = []
        elif dict(attrs).get("data-testid") == self.testid:
            self.depth = 1
            self.elements.append(_Element())

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None:
            self.elements[-1].cells.append(_squeeze(self.cell))
            self.cell = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.elements[-1].text.append(data)
            if self.cell is not None:
                self.cell.append(data)


def _collect(html: str, testid: str) -> list[_Element]:
    collector = _Collector(testid)
    collector.feed(html)
    return collector.elements


def rows(html: str, testid: str) -> list[list[str]]:
    """The cell texts of each element marked `data-testid=testid` (table rows)."""
    return [element.cells for element in _collect(html, testid)]


def texts(html: str, testid: str) -> list[str]:
    """The text of each element marked `data-testid=testid`, whitespace collapsed."""
    return [_squeeze(element.text) for element in _collect(html, testid)]
