"""Fixtures of the optimizer tests: the demo book loaded from its feeds, with its model book."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command

from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure

CHUNK_DEMO_DATE = date(2026, 11, 24)


@pytest.fixture(scope="module")
def chunk_demo_folder(tmp_path_factory):
    """The feed files of a 30-account demo firm (written once per module)."""
    folder = tmp_path_factory.mktemp("chunk") / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", "30", "--seed", "5",
                 "--date", CHUNK_DEMO_DATE.isoformat(), stdout=io.StringIO())
    return folder


@pytest.fixture
def chunk_demo(chunk_demo_folder):
    """A demo firm loaded from `chunk_demo_folder`, with the demo model book."""
    firm, _ = demo_firm_ensure(code="CHUNKDEMO")
    call_command("load_feeds", "--firm", firm.code, str(chunk_demo_folder),
                 stdout=io.StringIO())
    model_book_ensure(firm=firm)
    return firm
