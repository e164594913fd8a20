"""PDF documents from HTML through WeasyPrint: reports and statements render a standalone page
(styles inline, charts as inline SVG) and print it; nothing is fetched from the network."""

from __future__ import annotations

import logging
from typing import Any

# WeasyPrint logs each step of every document (and of its own stylesheets on import) at INFO.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # A document names no outside resource; refuse any so a value in a report can never make
    # the server fetch a URL.
    raise ValueError(f"PDF documents fetch nothing ({url})")


def pdf_from_html(html: str) -> bytes:
    """The PDF of a standalone HTML document."""
    import weasyprint  # imported on first use: it parses its stylesheets when imported

    return weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf()
