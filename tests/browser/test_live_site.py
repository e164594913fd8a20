"""The real site in a real browser: sign-in, role-shaped pages, API tokens, alerts, isolation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def api_me(base_url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base_url}/api/v1/me/",
                                     headers={"Authorization": f"Token {token}",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_advisor_signs_in_and_sees_an_advisors_home(page, sign_in, firm_a, live_site):
    sign_in(firm_a, "advisor")

    assert page.url == f"{live_site.url}/"
    expect(page).to_have_title("Home · Rebal")
    expect(page.get_by_test_id("firm")).to_have_text(firm_a.code)
    expect(page.locator(".who .user")).to_have_text(firm_a.emails["advisor"])
    expect(page.get_by_test_id("roles").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("roles").locator("li strong")).to_have_text("Advisor")
    expect(page.get_by_test_id("roles").get_by_role("link", name="Advisor")).to_have_attribute(
        "href", "/advisor/")
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav).to_have_text(["Home", "My accounts", "Households", "Accounts", "Filters"])
    expect(page.get_by_role("link", name="API tokens")).to_have_count(0)
    # The stylesheet is served by the site itself (WhiteNoise, no collectstatic).
    background = page.locator("header.topbar").evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(15, 39, 71)"


def test_advisor_sees_only_the_assigned_household(page, sign_in, firm_a):
    sign_in(firm_a, "advisor")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Households").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Households")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td")).to_have_text([firm_a.household.code, firm_a.household.name])
    expect(page.get_by_text(firm_a.other_household.code)).to_have_count(0)
    rows.get_by_role("link", name=firm_a.household.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(firm_a.household.name)
    # The unassigned household of the same firm answers 404, like another firm's.
    response = page.goto(f"/households/{firm_a.other_household.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_firm_admin_issues_and_revokes_an_api_token(page, sign_in, firm_a, live_site):
    sign_in(firm_a, "admin")
    name = f"custodian-{uuid.uuid4().hex[:6]}"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="API tokens", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Read alerts").check()
    page.get_by_label("Reason").fill("Custodian integration")
    page.get_by_role("button", name="Issue token").click()

    value = page.get_by_test_id("issued-token").inner_text().strip()
    assert value.startswith("rbl_") and len(value) > 30
    row = page.get_by_test_id("token-row").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(f"{value[:10]}…")
    expect(row.locator("td").nth(2)).to_have_text("alerts:read")
    expect(row.locator("td").nth(4)).to_have_text("Active")
    assert value not in row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-tokens.png"), full_page=True)

    status, body = api_me(live_site.url, value)
    assert status == 200
    assert body["firm"] == firm_a.code
    assert body["scopes"] == ["alerts:read"]
    assert body["principal"] == f"token:{name}"

    page.goto("/administration/api-tokens/")  # shown once: not on the next visit
    expect(page.get_by_test_id("issued-token")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.dismiss())  # cancelling keeps the token
    row.get_by_role("button", name="Revoke").click()
    expect(row.locator("td").nth(4)).to_have_text("Active")
    assert api_me(live_site.url, value)[0] == 200
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_have_text(f"Token {name} revoked.")
    expect(row.locator("td").nth(4)).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)

    status, _ = api_me(live_site.url, value)
    assert status == 401


def test_advisor_acknowledges_an_alert_without_a_reload(page, sign_in, firm_a, db_call):
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Alert

    subject = f"Account {uuid.uuid4().hex[:6]} drifted"

    def raise_twice() -> int:
        with audit_context(system_job="tests"):
            for message in ("Drift 4.1% above tolerance", "Drift 5.3% above tolerance"):
                alert = services.alert_raise(firm=firm_a.firm, kind="drift", severity="warning",
                                             subject=subject, message=message,
                                             roles=["advisor"])
        return alert.pk

    pk = db_call(raise_twice)
    sign_in(firm_a, "advisor")

    item = page.locator(f"#alert-{pk}")
    expect(item).to_contain_text(subject)
    expect(item).to_contain_text("Drift 5.3% above tolerance")
    expect(item.locator(".badge")).to_have_text("×2")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    page.evaluate("window.__sameDocument = 'yes'")
    with page.expect_response(lambda r: r.url.endswith(f"/alerts/{pk}/acknowledge/")) as ack:
        item.get_by_role("button", name="Acknowledge").click()
    assert ack.value.status == 200
    assert ack.value.request.headers.get("hx-request") == "true"
    expect(item).to_have_count(0)
    assert page.evaluate("window.__sameDocument") == "yes"  # swapped in place, not reloaded

    def read_back() -> tuple:
        with firm_context(firm_a.firm):
            alert = Alert.objects.get(pk=pk)
            return alert.acknowledged_at is not None, alert.acknowledged_by_id, alert.occurrences

    assert db_call(read_back) == (True, firm_a.advisor.pk, 2)
    page.goto("/")
    expect(page.locator(f"#alert-{pk}")).to_have_count(0)


def test_another_firms_household_is_not_found(page, sign_in, firm_a, firm_b):
    sign_in(firm_b, "admin")

    own = page.goto(f"/households/{firm_b.household.pk}/")
    assert own.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(firm_b.household.name)

    response = page.goto(f"/households/{firm_a.household.pk}/")
    assert response.status == 404
    expect(page).to_have_title("Not found · Rebal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text(firm_a.household.name)).to_have_count(0)
    page.goto("/households/")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_text(firm_a.household.code)).to_have_count(0)
