"""Customization limits, enforced in the service layer: substitutions only among approved
alternatives of the same asset class, bounded allocation changes per asset class and risk
profile, something left to invest — refused with the same message at every door, nothing
saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account, AccountSettings, HouseholdSettings
from accounts.services.settings import (
    account_settings_load,
    account_settings_update,
    household_settings_update,
)
from accounts.targets import resolve_target
from models_hub.services import customization_limit_save, product_propose
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
EQUITY_BAND = ("Limit “Conservative equity band”: Equity would be 40.00% against 30.00% in "
               "program CONS30, a change of +10.00%; Conservative accounts may move it by at "
               "most 5.00%.")


@pytest.fixture
def book(alice_firm):
    rows = build_model_book(alice_firm)
    with firm_context(alice_firm.firm):
        customization_limit_save(name="Conservative equity band", risk_profile="conservative",
                                 asset_class=rows.classes["EQ"], max_change="0.05",
                                 max_weight="0.40", reason="IPC policy 2026-3",
                                 acting_user=rows.ipc)
        customization_limit_save(name="Cash floor", asset_class=rows.classes["CASH"],
                                 min_weight="0.02", reason="IPC policy 2026-3",
                                 acting_user=rows.ipc)
        with audit_context(system_job="tests"):
            rows.conservative = Account.objects.create(
                account_number="C-1", name="Careful", household=alice_firm.household,
                program_code="CONS30")
            rows.balanced = Account.objects.create(
                account_number="B-1", name="Balanced", household=alice_firm.household,
                program_code="BAL60")
    return rows


def _refused(book, account, changes) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        account_settings_update(account=account, changes=changes, reason="client asked",
                                acting_user=book.personas.advisor)
    assert not AccountSettings.objects.filter(account=account).exists(), "nothing saved"
    return caught.value.messages


def test_a_conservative_account_cannot_load_up_on_equity(book):
    with firm_context(book.personas.firm):
        messages = _refused(book, book.conservative, {"allocation_tilts": {
            "EQ.US.LARGE": "+10", "FI.US.AGG": "-10"}})
        assert messages == [EQUITY_BAND]
        # Going from 30% to ~86% equity by excluding the bonds and cash: both bounds break.
        messages = _refused(book, book.conservative,
                            {"excluded_asset_classes": ["FI.US.AGG", "CASH"]})
        assert any("Equity would be 85.71%; Conservative accounts hold at most 40.00%" in m
                   for m in messages)
        assert any("Limit “Cash floor”: Cash would be 0.00%; accounts keep at least 2.00%" in m
                   for m in messages)
        # Within the band: accepted, and resolved with the tilt's provenance.
        account_settings_update(account=book.conservative, changes={"allocation_tilts": {
            "EQ.US.LARGE": "+5", "FI.US.AGG": "-5"}}, reason="a little more growth",
            acting_user=book.personas.advisor)
        target = resolve_target(book.conservative, book.products["LCAP_ETF"].versions.get()
                                .as_of_date)
        assert target.weights[book.securities["IVV"].pk] == Decimal("0.25")
        assert target.asset_class("EQ.US.LARGE").steps[-1] == "+5.00% tilt (account override)"


def test_the_same_tilt_is_fine_for_a_balanced_account(book):
    with firm_context(book.personas.firm):
        account_settings_update(account=book.balanced, changes={"allocation_tilts": {
            "EQ.US.LARGE": "+10", "FI.US.AGG": "-10"}}, reason="growth",
            acting_user=book.personas.advisor)


def test_substitution_only_among_approved_alternatives_of_the_same_class(book):
    with firm_context(book.personas.firm):
        other = book.publish(product_propose(
            code="LCAP_OTHER", name="Another large cap ETF",
            asset_class=book.classes["EQ.US.LARGE"], kind="etf",
            weights={book.securities["VOO"].pk: "1"}, reason="candidate",
            acting_user=book.ipc)).product
        assert other.pk
        assert _refused(book, book.balanced, {"product_choices": {
            "EQ.US.LARGE": "LCAP_OTHER"}}) == [
            "LCAP_OTHER is not an approved alternative for US Large Cap in program BAL60 "
            "(approved alternatives are LCAP_DIRECT, LCAP_FUND)."]
        assert _refused(book, book.balanced, {"product_choices": {
            "EQ.US.MID": "LCAP_FUND"}}) == [
            "LCAP_FUND implements US Large Cap, not US Mid Cap: a substitution stays within "
            "its asset class."]
        account_settings_update(account=book.balanced,
                                changes={"product_choices": {"EQ.US.LARGE": "LCAP_DIRECT"}},
                                reason="direct indexing for harvesting",
                                acting_user=book.personas.advisor)


def test_excluding_every_asset_class_and_unbalanced_tilts_are_refused(book):
    everything = ["EQ", "FI", "RE.US", "CASH"]
    with firm_context(book.personas.firm):
        [message] = _refused(book, book.balanced, {"excluded_asset_classes": everything})
        assert message.startswith("Excluding ")
        assert message.endswith("would exclude every asset class of the program; at least one "
                                "must remain.")
        assert _refused(book, book.balanced, {"allocation_tilts": {"EQ.US.MID": "+2"}}) == [
            "Tilts must add up to zero (they move weight from one asset class to another); "
            "these add up to +2.00%."]


def test_a_household_change_is_checked_for_each_of_its_accounts(book):
    with firm_context(book.personas.firm):
        with pytest.raises(ValidationError) as caught:
            household_settings_update(
                household=book.personas.household,
                changes={"allocation_tilts": {"EQ.US.LARGE": "+10", "FI.US.AGG": "-10"}},
                reason="family wants growth", acting_user=book.personas.advisor)
        assert caught.value.messages == [f"Account C-1: {EQUITY_BAND}"]
        assert not HouseholdSettings.objects.exists()


def test_a_settings_file_refuses_with_the_same_message_and_loads_nothing(book):
    data = (b"account_number,setting,value\n"
            b"B-1,tax_sensitivity,high\n"
            b"C-1,allocation_tilts,EQ.US.LARGE=+10;FI.US.AGG=-10\n"
            b"C-1,tracking,loose\n")
    with firm_context(book.personas.firm):
        with pytest.raises(ValidationError) as caught:
            account_settings_load(data=data, reason="quarterly review file",
                                  acting_user=book.personas.advisor)
        assert caught.value.messages == [
            "The settings file was not loaded; nothing changed.",
            f"line(s) 3, 4 (account C-1): {EQUITY_BAND}"]
        assert not AccountSettings.objects.exists()
        good = data.replace(b"+10;FI.US.AGG=-10", b"+5;FI.US.AGG=-5")
        result = account_settings_load(data=good, reason="quarterly review file",
                                       acting_user=book.personas.advisor)
        assert (result.accounts_changed, result.settings_changed) == (2, 3)
        assert AccountSettings.objects.get(account=book.conservative).values == {
            "allocation_tilts": {str(book.classes["EQ.US.LARGE"].pk): "5",
                                 str(book.classes["FI.US.AGG"].pk): "-5"},
            "tracking": "loose"}


def test_a_limit_tightened_later_shows_as_a_warning_at_resolution(book):
    with firm_context(book.personas.firm):
        account_settings_update(account=book.conservative, changes={"allocation_tilts": {
            "EQ.US.LARGE": "+5", "FI.US.AGG": "-5"}}, reason="growth",
            acting_user=book.personas.advisor)
        customization_limit_save(name="Tight equity", risk_profile="conservative",
                                 asset_class=book.classes["EQ"], max_change="0.02",
                                 reason="tightened", acting_user=book.ipc)
        target = resolve_target(book.conservative,
                                book.products["LCAP_ETF"].versions.get().as_of_date)
    assert target.ok
    assert any(w.startswith("No longer within limits: Limit “Tight equity”")
               for w in target.warnings)


def test_the_settings_file_command_refuses_with_the_same_message(book, tmp_path):
    import io

    from django.core.management import CommandError, call_command

    path = tmp_path / "settings.csv"
    path.write_text("account_number,setting,value\n"
                    "C-1,allocation_tilts,EQ.US.LARGE=+10;FI.US.AGG=-10\n")
    with pytest.raises(CommandError) as caught:
        call_command("load_account_settings", "--firm", "ALICE", "--reason", "review", str(path),
                     stdout=io.StringIO())
    assert EQUITY_BAND in str(caught.value)
    path.write_text("account_number,setting,value\nC-1,tracking,loose\n")
    out = io.StringIO()
    call_command("load_account_settings", "--firm", "ALICE", "--reason", "review", str(path),
                 stdout=out)
    assert out.getvalue().strip() == "settings.csv: 1 setting(s) of 1 account(s) changed"
    with firm_context(book.personas.firm):
        record = AccountSettings.history.get(account_id=book.conservative.pk)
    assert (record.history_system_job, record.history_change_reason) == (
        "load_account_settings", "review")
