"""The committee's pages: the model book's lists (sorted, filtered, paginated) and pages, an
allocation edit that makes a draft and starts its impact preview, the draft's page with the
preview's progress and results, the author refused approval with the reason, a second member's
approval keeping the preview's result, and a rejection with its reason."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from models_hub.models import ModelChange
from rebal.firm_context import firm_context
from tests.workflow.impact_book import MID_OVERWEIGHT, build_impact_book, propose_mid_overweight
from workflow.models import ImpactPreview
from workflow.services.impact import impact_preview_chunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice_firm):
    return build_impact_book(alice_firm)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _finish(preview: ImpactPreview) -> None:
    preview.refresh_from_db()
    offset: int | None = preview.accounts_done
    while offset is not None:
        offset = impact_preview_chunk(preview_id=preview.pk, offset=offset, chunk=2)


def test_lists_sort_filter_and_link_to_each_structure(rows, django_assert_max_num_queries):
    client = _client(rows.book.ipc)
    client.get("/ipc/allocations/")
    with django_assert_max_num_queries(12):
        page = client.get("/ipc/allocations/?sort=-code").content.decode()
    assert page.index("CONS30") < page.index("BAL60")  # descending
    ascending = client.get("/ipc/allocations/?sort=code").content.decode()
    assert ascending.index(">BAL60<") < ascending.index(">CONS30<")
    assert ">CONS30<" not in client.get("/ipc/allocations/?q=BAL").content.decode()
    products = client.get("/ipc/products/?sort=-kind").content.decode()
    assert "LCAP_DIRECT" in products and "EQ.US.LARGE" in products
    for path, marker in (("/ipc/programs/", "BAL60"), ("/ipc/equivalence-sets/", "SP500"),
                         ("/ipc/limits/", "None"), ("/ipc/subscriptions/", "None"),
                         ("/ipc/changes/", "initial")):
        response = client.get(path)
        assert response.status_code == 200 and marker in response.content.decode(), path
    allocation = rows.book.allocations["BAL60"]
    detail = client.get(f"/ipc/allocations/{allocation.pk}/").content.decode()
    assert "US Large Cap" in detail and "30.00%" in detail and "Propose a change" in detail
    product = rows.book.products["LCAP_DIRECT"]
    detail = client.get(f"/ipc/products/{product.pk}/").content.decode()
    assert "AAPL" in detail and "60.00%" in detail
    # An advisor reads the book but proposes nothing.
    advisor = _client(rows.book.personas.advisor)
    page = advisor.get(f"/ipc/allocations/{allocation.pk}/").content.decode()
    assert "BAL60" in page and "Propose a change" not in page
    assert advisor.get(f"/ipc/allocations/{allocation.pk}/edit/").status_code == 404


def test_an_allocation_edit_previews_its_impact_and_a_second_member_approves(rows):
    book = rows.book
    allocation = book.allocations["BAL60"]
    author = _client(book.ipc)
    form = {f"weight_{book.classes[code].pk}": str(float(w) * 100)
            for code, w in MID_OVERWEIGHT.items()}
    refused = author.post(f"/ipc/allocations/{allocation.pk}/edit/", {**form, "reason": ""})
    assert refused.status_code == 400 and "A reason is required" in refused.content.decode()
    response = author.post(f"/ipc/allocations/{allocation.pk}/edit/",
                           {**form, "reason": "mid caps look cheap"})
    assert response.status_code == 302
    with firm_context(book.personas.firm):
        change = ModelChange.objects.get(status="draft", reason="mid caps look cheap")
        preview = ImpactPreview.objects.get(change=change)
    url = f"/ipc/changes/{change.pk}/"
    assert response["Location"] == url
    polling = author.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in polling and "0 of 5 accounts examined" in polling
    with firm_context(book.personas.firm):
        impact_preview_chunk(preview_id=preview.pk, offset=0, chunk=2)
    assert "2 of 5 accounts examined" in author.get(
        url, headers={"HX-Request": "true"}).content.decode()
    with firm_context(book.personas.firm):
        _finish(preview)
    page = author.get(url).content.decode()
    assert "hx-trigger" not in page
    assert re.search(r'data-testid="accounts-affected">2<', page)
    assert re.search(r'data-testid="accounts-breaching">1<', page)
    assert "IMP-1" in page and "IMP-2" in page and "IMP-3" not in page
    assert "highest-basis lots first" in page  # the method is said
    assert "EQ.US.LARGE 30.0% → 27.0%" in page
    breaching = author.get(f"{url}?breaching=1").content.decode()
    assert "IMP-2" in breaching and "IMP-1" not in breaching
    own = author.post(f"{url}decide/", {"decision": "approve", "reason": "looks right"})
    assert own.status_code == 400
    assert "a second member of the investment policy committee must approve it" in (
        own.content.decode())
    second = _client(book.ipc2)
    assert second.post(f"{url}decide/", {"decision": "approve", "reason": "modest impact"}
                       ).status_code == 302
    page = second.get(url).content.decode()
    assert "Approved and published" in page and "modest impact" in page
    assert f"preview #{preview.pk}: 2 accounts affected" in page
    with firm_context(book.personas.firm):
        change.refresh_from_db()
        allocation.refresh_from_db()
        weights = {w.asset_class.code: w.weight for w in
                   allocation.weights.select_related("asset_class")}
    assert change.status == "published" and change.impact["preview"] == preview.pk
    assert str(weights["EQ.US.MID"].normalize()) == "0.13"


def test_a_second_member_rejects_with_a_reason(rows):
    book = rows.book
    with firm_context(book.personas.firm):
        change = propose_mid_overweight(rows)
    second = _client(book.ipc2)
    url = f"/ipc/changes/{change.pk}/"
    assert "No impact preview yet" in second.get(url).content.decode()
    refused = second.post(f"{url}decide/", {"decision": "approve", "reason": "ok"})
    assert "impact preview has not finished" in refused.content.decode()
    assert second.post(f"{url}decide/", {"decision": "reject", "reason": "too much tax"}
                       ).status_code == 302
    page = second.get(url).content.decode()
    assert "Rejected" in page and "too much tax" in page


def test_a_product_edit_previews_the_new_weights_in_every_program_using_it(rows):
    book = rows.book
    product = book.products["LCAP_ETF"]
    author = _client(book.ipc)
    form = author.get(f"/ipc/products/{product.pk}/edit/").content.decode()
    assert "IVV 100" in form
    refused = author.post(f"/ipc/products/{product.pk}/edit/",
                          {"weights": "IVV 50\nNOPE 50", "reason": "split"})
    assert refused.status_code == 400 and "Unknown ticker(s): NOPE" in refused.content.decode()
    response = author.post(f"/ipc/products/{product.pk}/edit/",
                           {"weights": "IVV 50\nVOO 50", "reason": "split the issuers"})
    assert response.status_code == 302
    with firm_context(book.personas.firm):
        change = ModelChange.objects.get(status="draft", reason="split the issuers")
        preview = ImpactPreview.objects.get(change=change)
        _finish(preview)
        preview.refresh_from_db()
        by_number = {r.account.account_number: r for r in
                     preview.rows.select_related("account")}
    # Both programs use the product: every account with lots moves half its IVV to VOO.
    assert preview.accounts_affected == 3 and set(by_number) == {"IMP-1", "IMP-2", "IMP-3"}
    steady = by_number["IMP-1"]
    # $15,000 of IVV sold: the $90 lot (100 x $10) then 50 of the $50 lot (50 x $50).
    assert steady.realized_gain == Decimal("3500.00")
    assert steady.target_change == "securities within the asset classes"
    page = author.get(response["Location"]).content.decode()
    assert re.search(r'data-testid="accounts-affected">3<', page)
