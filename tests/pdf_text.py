"""The text of a PDF as pdftotext (poppler-utils) lays it out, for tests of printed figures."""

from __future__ import annotations

import subprocess


def pdf_text(body: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True,
                          check=True).stdout.decode()
