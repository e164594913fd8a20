"""The records page pages newest first with previous and next, without counting the records."""

from __future__ import annotations

import re

import pytest

from optimizer.models import Analysis
from rebal.firm_context import firm_context
from tests.reports.test_records import _client, released  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/records/(\d+)/"', html)]


def test_pages_of_the_records_newest_first(released, alice_firm, monkeypatch):  # noqa: F811
    monkeypatch.setattr("reports.views.PAGE_SIZE", 2)
    with firm_context(alice_firm.firm):
        newest = list(Analysis.objects.order_by("-trade_date", "-pk").values_list("pk", flat=True))
    assert len(newest) > 4
    compliance = _client(alice_firm.compliance)
    first = compliance.get("/records/").content.decode()
    assert _ids(first) == newest[:2]
    assert "page=2" in first and "← Previous" not in first and "in all" not in first
    second = compliance.get("/records/?page=2").content.decode()
    assert _ids(second) == newest[2:4] and "page=1" in second and "page=3" in second
    last = (len(newest) + 1) // 2
    final = compliance.get(f"/records/?page={last}").content.decode()
    assert _ids(final) == newest[2 * (last - 1):] and "Next →" not in final
    assert _ids(compliance.get("/records/?page=x").content.decode()) == newest[:2]
    filtered = compliance.get("/records/?account=F-6").content.decode()
    assert "Next →" not in filtered or "account=F-6&amp;page=2" in filtered
