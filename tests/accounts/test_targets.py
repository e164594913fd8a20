"""resolve_target: security-level targets with provenance, inherited from the program, never
copied — a change the committee publishes reaches every customized account."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, AccountHold, AccountSettings
from accounts.services.settings import account_settings_update, household_settings_update
from accounts.settings_resolution import SettingsRule
from accounts.targets import resolve_target, resolve_targets
from models_hub.services import allocation_propose, product_propose, program_propose
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 24)
ALL_FUNDS = {"EQ.US.LARGE": "LCAP_FUND", "EQ.US.MID": "MCAP_FUND", "EQ.US.SMALL": "SCAP_FUND",
             "FI.US.AGG": "BOND_FUND", "RE.US": "REIT_FUND"}


def D(text: str) -> Decimal:
    return Decimal(text)


def close(value: Decimal, expected: str | Decimal) -> bool:
    return abs(value - Decimal(expected)) < Decimal("1e-12")


@pytest.fixture
def book(alice_firm):
    return build_model_book(alice_firm)


def _account(personas, number: str, program: str = "BAL60") -> Account:
    with audit_context(system_job="tests"):
        return Account.objects.create(account_number=number, name=number,
                                      household=personas.household, program_code=program)


@pytest.fixture
def accounts(book):
    """Four BAL60 accounts: as the program is, on mutual funds, without real estate, both."""
    personas = book.personas
    with firm_context(personas.firm):
        plain = _account(personas, "T-ETF")
        funds = _account(personas, "T-FUNDS")
        no_reit = _account(personas, "T-NO-REIT")
        both = _account(personas, "T-BOTH")
        advisor = personas.advisor
        account_settings_update(account=funds, changes={"product_choices": ALL_FUNDS},
                                reason="client prefers mutual funds", acting_user=advisor)
        account_settings_update(account=no_reit, changes={"excluded_asset_classes": ["RE.US"]},
                                reason="client owns rental property", acting_user=advisor)
        account_settings_update(account=both, changes={"product_choices": ALL_FUNDS,
                                                       "excluded_asset_classes": ["RE.US"]},
                                reason="funds, no real estate", acting_user=advisor)
    return {"plain": plain, "funds": funds, "no_reit": no_reit, "both": both}


def _weights(target) -> dict[str, Decimal]:
    return {s.security: s.weight for s in target.securities}


def test_the_program_as_it_is(book, accounts):
    with firm_context(book.personas.firm):
        target = resolve_target(accounts["plain"], AS_OF)
    assert target.ok and target.program == "BAL60" and target.allocation == "BAL60"
    assert _weights(target) == {"IVV": D("0.30"), "IJH": D("0.10"), "IJR": D("0.05"),
                                "AGG": D("0.40"), "VNQ": D("0.10"), "VMFXX": D("0.05")}
    assert sum(_weights(target).values()) == 1
    ivv = target.security("IVV")
    [contribution] = ivv.contributions
    assert (contribution.asset_class, contribution.product) == ("EQ.US.LARGE", "LCAP_ETF")
    assert contribution.weight_in_product == 1
    large = target.asset_class("EQ.US.LARGE")
    assert large.product_source == "program BAL60"
    assert large.steps == ("30.00% in allocation BAL60",)
    # The equivalence set: a target on IVV is satisfied by VOO or SPY.
    assert ivv.equivalence_set == "SP500" and set(ivv.satisfied_by) == {"VOO", "SPY"}


def test_firm_overweights_mid_cap_and_every_customized_child_follows(book, accounts):
    """THE scenario: the committee moves 3% from Large Cap to Mid Cap in BAL60's allocation;
    at the next resolution every account reflects it, whatever its customizations — without
    anything having been copied into the accounts."""
    firm = book.personas.firm
    with firm_context(firm):
        before = resolve_targets(list(accounts.values()), AS_OF)
        stored_before = {a.account_id: a.values for a in AccountSettings.objects.all()}
        change = allocation_propose(
            code="BAL60", name="Balanced 60/40", risk_profile="moderate",
            weights=book.weights({"EQ.US.LARGE": "0.27", "EQ.US.MID": "0.13",
                                  "EQ.US.SMALL": "0.05", "FI.US.AGG": "0.40", "RE.US": "0.10",
                                  "CASH": "0.05"}),
            reason="overweight mid cap against large cap", acting_user=book.ipc,
            allocation=book.allocations["BAL60"])
        # A draft changes nothing.
        assert _weights(resolve_target(accounts["plain"], AS_OF))["IVV"] == D("0.30")
        book.publish(change)
        after = resolve_targets(list(accounts.values()), AS_OF)
        assert {a.account_id: a.values for a in AccountSettings.objects.all()} == stored_before

    plain, funds = after[accounts["plain"].pk], after[accounts["funds"].pk]
    no_reit, both = after[accounts["no_reit"].pk], after[accounts["both"].pk]
    assert (_weights(before[accounts["plain"].pk])["IJH"], _weights(plain)["IJH"]) == (
        D("0.10"), D("0.13"))
    assert _weights(plain)["IVV"] == D("0.27")
    # Replaced the ETFs with mutual funds: the new weights, on the funds.
    assert _weights(funds)["VIMAX"] == D("0.13") and _weights(funds)["VFIAX"] == D("0.27")
    assert "IJH" not in _weights(funds) and "IVV" not in _weights(funds)
    assert funds.asset_class("EQ.US.MID").product_source == "account override"
    assert funds.asset_class("EQ.US.MID").steps == ("13.00% in allocation BAL60",)
    # Excluded real estate: its 10% spread pro rata over the rest, from the new weights.
    assert "VNQ" not in _weights(no_reit)
    assert close(_weights(no_reit)["IJH"], D("0.13") / D("0.9"))
    assert close(_weights(no_reit)["IVV"], D("0.27") / D("0.9"))
    assert close(sum(_weights(no_reit).values()), 1)
    assert no_reit.asset_class("EQ.US.MID").steps == (
        "13.00% in allocation BAL60",
        "+1.44% from excluding US Real Estate (account override), pro rata")
    assert close(_weights(both)["VIMAX"], D("0.13") / D("0.9"))
    assert "VGSLX" not in _weights(both) and "VNQ" not in _weights(both)
    # Every weight says where it came from.
    assert "13.00% in allocation BAL60" in no_reit.explain("IJH")
    assert "MCAP_FUND (account override" in both.explain("VIMAX")


def test_a_product_change_reaches_every_account_using_it(book, accounts):
    with firm_context(book.personas.firm):
        change = product_propose(
            code="LCAP_FUND", name="Large cap fund", asset_class=book.classes["EQ.US.LARGE"],
            kind="mutual_fund", weights={book.securities["VFIAX"].pk: "0.5",
                                         book.securities["AAPL"].pk: "0.5"},
            effective_date=date(2026, 11, 1), reason="add a stock", acting_user=book.ipc,
            product=book.products["LCAP_FUND"])
        book.publish(change)
        funds = resolve_target(accounts["funds"], AS_OF)
        earlier = resolve_target(accounts["funds"], date(2026, 10, 31))
    assert _weights(funds)["VFIAX"] == D("0.15") and _weights(funds)["AAPL"] == D("0.15")
    # Resolved as of an earlier date: the product's weights then.
    assert _weights(earlier)["VFIAX"] == D("0.30") and "AAPL" not in _weights(earlier)


def test_child_program_inherits_and_stores_only_differences(book):
    with firm_context(book.personas.firm):
        change = program_propose(
            code="BAL60-MF", name="Balanced on mutual funds", parent=book.programs["BAL60"],
            products={book.classes["EQ.US.LARGE"].pk: book.products["LCAP_FUND"]},
            tilts={book.classes["EQ.US.SMALL"].pk: "0.02", book.classes["CASH"].pk: "-0.02"},
            reason="a fund sleeve", acting_user=book.ipc)
        book.publish(change)
        account = _account(book.personas, "T-CHILD", "BAL60-MF")
        target = resolve_target(account, AS_OF)
        weights = _weights(target)
        assert weights["VFIAX"] == D("0.30") and weights["IJR"] == D("0.07")
        assert weights["VMFXX"] == D("0.03")
        assert target.asset_class("EQ.US.SMALL").steps == (
            "5.00% in allocation BAL60", "+2.00% tilt (program BAL60-MF)")
        # The parent changes: the child follows.
        book.publish(allocation_propose(
            code="BAL60", name="Balanced", risk_profile="moderate",
            weights=book.weights({"EQ.US.LARGE": "0.25", "EQ.US.MID": "0.15",
                                  "EQ.US.SMALL": "0.05", "FI.US.AGG": "0.40", "RE.US": "0.10",
                                  "CASH": "0.05"}),
            reason="more mid cap", acting_user=book.ipc, allocation=book.allocations["BAL60"]))
        weights = _weights(resolve_target(account, AS_OF))
    assert weights["VFIAX"] == D("0.25") and weights["IJH"] == D("0.15")


def test_household_and_rule_layers_customize_with_provenance(book, accounts):
    personas = book.personas
    with firm_context(personas.firm):
        household_settings_update(household=personas.household,
                                  changes={"excluded_asset_classes": ["RE.US"]},
                                  reason="the family owns real estate",
                                  acting_user=personas.advisor)
        rule = SettingsRule(7, "Cash-heavy pilot", {"allocation_tilts": {
            str(book.classes["CASH"].pk): "2", str(book.classes["FI.US.AGG"].pk): "-2"}})
        target = resolve_target(accounts["plain"], AS_OF, rules=[rule])
    assert "VNQ" not in _weights(target)
    cash = target.asset_class("CASH")
    assert cash.steps[1] == "+2.00% tilt (rule 7 (Cash-heavy pilot))"
    assert "from excluding US Real Estate (household ALICE-HH1)" in cash.steps[2]
    assert close(cash.weight, D("0.07") / D("0.9"))


def test_unknown_program_is_a_data_error_hold_until_it_resolves(book):
    personas = book.personas
    with firm_context(personas.firm):
        account = _account(personas, "T-LOST", "NOPE")
        target = resolve_target(account, AS_OF)
        assert not target.ok and target.securities == ()
        assert "'NOPE' is not a program of the firm" in target.errors[0]
        hold = AccountHold.objects.get(account=account, cleared_at__isnull=True)
        assert (hold.kind, hold.source) == ("data_error", "program:unknown")
        assert "NOPE" in hold.reason
        resolve_target(account, AS_OF)  # again: still one hold
        assert AccountHold.objects.filter(account=account).count() == 1
        with audit_context(system_job="tests"):
            account.program_code = "BAL60"
            account.save()
        assert resolve_target(account, AS_OF).ok
        hold.refresh_from_db()
        assert hold.cleared_at is not None


def test_batch_resolution_takes_a_few_queries_whatever_the_number(book, accounts,
                                                                   django_assert_max_num_queries):
    personas = book.personas
    with firm_context(personas.firm):
        many = [_account(personas, f"T-MANY-{i}") for i in range(40)]
        ids = [a.pk for a in [*many, *accounts.values()]]
        with django_assert_max_num_queries(22):
            targets = resolve_targets(ids, AS_OF)
    assert all(t.ok for t in targets.values()) and len(targets) == 44
    assert _weights(targets[many[0].pk]) == _weights(targets[accounts["plain"].pk])


def test_targets_and_records_are_stable(book, accounts):
    with firm_context(book.personas.firm):
        first = resolve_target(accounts["both"], AS_OF)
        second = resolve_target(accounts["both"], AS_OF)
    assert first.content_hash() == second.content_hash()
    record = first.as_record()
    assert record["program"] == "BAL60"
    assert {s["security"] for s in record["securities"]} == {
        "VFIAX", "VIMAX", "VSMAX", "VBTLX", "VMFXX"}
