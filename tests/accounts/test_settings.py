"""Plain-English account settings: the catalog, validation, and effective settings resolved
layer by layer with the source of every value."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account, AccountSettings, TaxEntity
from accounts.services.settings import (
    account_settings_update,
    commission_schedule_save,
    firm_settings_update,
    household_settings_update,
    tax_entity_settings_update,
)
from accounts.settings_catalog import CATALOG, SETTINGS, CashToKeep, CashToRaise, parse_changes
from accounts.settings_resolution import (
    SettingsRule,
    effective_settings,
    effective_settings_batch,
)
from dataops.models import RestrictionList, Security
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.data_factories import security

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm(alice_firm):
    """Firm A with a few securities, a restricted list and a commission schedule."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        for ticker in ("IBM", "XOM", "MSFT", "TSLA"):
            security(ticker=ticker)
        RestrictionList.objects.create(code="ESG", name="ESG screen")
        TaxEntity.objects.create(code="TE-ALPHA")
        account = alice_firm.account
        account.tax_entity = TaxEntity.objects.get(code="TE-ALPHA")
        account.save()
    with firm_context(alice_firm.firm):
        commission_schedule_save(code="B", name="Schedule B", per_trade="4.95",
                                 reason="Platinum pricing", acting_user=alice_firm.admin)
    return alice_firm


def test_every_setting_is_plain_english_and_no_optimizer_parameter():
    assert len(SETTINGS) >= 20
    for setting in CATALOG.values():
        assert setting.label and setting.help and setting.help.endswith((".", ")")), setting
        text = f"{setting.name} {setting.label} {setting.help}".lower()
        for jargon in ("kappa", "tau", "lambda", "penalty", "aversion", "coefficient"):
            assert jargon not in text, (setting.name, jargon)
    assert {"tax_sensitivity", "tracking", "loss_harvesting", "loss_harvesting_minimum",
            "annual_gain_budget", "cash_to_keep", "cash_to_raise", "do_not_buy", "do_not_sell",
            "do_not_trade", "restriction_lists", "excluded_asset_classes", "product_choices",
            "minimum_trade", "commission_schedule", "trading_approval", "discretionary",
            "federal_short_term_rate", "federal_long_term_rate", "state_short_term_rate",
            "state_long_term_rate", "net_investment_income_tax",
            "short_term_loss_carryforward", "long_term_loss_carryforward"} <= set(CATALOG)
    assert dict(CATALOG["tax_sensitivity"].choices).keys() == {
        "none", "low", "medium", "high", "maximum"}
    assert dict(CATALOG["tracking"].choices).keys() == {"tight", "normal", "loose"}


def test_defaults_with_their_source(firm):
    with firm_context(firm.firm):
        settings = effective_settings(firm.account)
    assert settings["tax_sensitivity"] == "medium"
    assert settings.source("tax_sensitivity").label == "Rebal default"
    assert settings["cash_to_keep"] == CashToKeep("percent", Decimal("1"))
    assert settings["do_not_buy"] == frozenset()
    assert settings["annual_gain_budget"] is None
    assert settings["discretionary"] is True
    assert settings.source("discretionary").label == "account record (accounts feed)"
    assert settings["federal_long_term_rate"] == Decimal("20")


def test_layers_firm_rule_household_account_each_with_provenance(firm):
    with firm_context(firm.firm):
        firm_settings_update(changes={"tax_sensitivity": "low", "do_not_trade": ["TSLA"],
                                      "state_long_term_rate": "5"},
                             reason="firm policy", acting_user=firm.admin)
        household_settings_update(household=firm.household,
                                  changes={"tax_sensitivity": "high", "tracking": "loose",
                                           "do_not_trade": ["IBM"]},
                                  reason="family wishes", acting_user=firm.advisor)
        account_settings_update(account=firm.account,
                                changes={"tracking": "tight", "do_not_trade": ["XOM"],
                                         "cash_to_keep": "$5,000",
                                         "annual_gain_budget": "10000",
                                         "commission_schedule": "B"},
                                reason="client call 11/20", acting_user=firm.advisor)
        tax_entity_settings_update(tax_entity=firm.account.tax_entity,
                                   changes={"federal_long_term_rate": "15",
                                            "long_term_loss_carryforward": "12500"},
                                   reason="2025 return", acting_user=firm.advisor)
        stored = parse_changes({"minimum_trade": "250", "do_not_trade": ["MSFT"]},
                               layer="rule")
        rule = SettingsRule(12, "Platinum clients", stored)
        settings = effective_settings(firm.account, rules=[rule])
        other = effective_settings(firm.other_account)
        names = dict(Security.objects.values_list("pk", "ticker"))
    assert settings.explain("tax_sensitivity") == (
        "Tax sensitivity: high (from household ALICE-HH1)")
    assert settings.source("tracking").label == "account override"
    assert settings["tracking"] == "tight"
    assert settings["cash_to_keep"] == CashToKeep("dollars", Decimal("5000.00"))
    assert settings["annual_gain_budget"] == Decimal("10000.00")
    assert settings["minimum_trade"] == Decimal("250")
    assert settings.source("minimum_trade").label == "rule 12 (Platinum clients)"
    # Restrictions add up down the layers; each says where it came from.
    sources = {names[pk]: s.label for pk, s in
               settings.values["do_not_trade"].item_sources.items()}
    assert sources == {"TSLA": "firm default", "MSFT": "rule 12 (Platinum clients)",
                       "IBM": "household ALICE-HH1", "XOM": "account override"}
    assert settings["federal_long_term_rate"] == Decimal("15")
    assert settings.source("federal_long_term_rate").label == "tax entity TE-ALPHA"
    assert settings["state_long_term_rate"] == Decimal("5")
    assert settings.source("state_long_term_rate").label == "firm default"
    assert settings["long_term_loss_carryforward"] == Decimal("12500.00")
    # The other household's account: the firm's defaults only.
    assert other["tax_sensitivity"] == "low" and other["tracking"] == "normal"
    assert {names[pk] for pk in other["do_not_trade"]} == {"TSLA"}
    assert settings.as_record()["tracking"] == {
        "value": "tight", "source": {"layer": "account", "label": "account override",
                                     "ref": None}}


def test_clearing_an_override_falls_back_to_the_layer_above(firm):
    with firm_context(firm.firm):
        account_settings_update(account=firm.account, changes={"tax_sensitivity": "maximum"},
                                reason="year-end", acting_user=firm.advisor)
        account_settings_update(account=firm.account, clear=["tax_sensitivity"],
                                reason="back to normal", acting_user=firm.advisor)
        settings = effective_settings(firm.account)
        history = list(AccountSettings.history.filter(account_id=firm.account.pk)
                       .order_by("history_id"))
    assert settings["tax_sensitivity"] == "medium"
    assert [(h.history_user, h.history_change_reason, h.values) for h in history] == [
        (firm.advisor, "year-end", {"tax_sensitivity": "maximum"}),
        (firm.advisor, "back to normal", {})]


@pytest.mark.parametrize(("changes", "message"), [
    ({"tax_sensitivity": "extreme"}, "Tax sensitivity: 'extreme' is not one of none, low,"),
    ({"loss_harvesting_minimum": "-5"}, "a dollar amount cannot be negative"),
    ({"do_not_buy": ["IBM", "NOPE"]}, "Do not buy: security 'NOPE' is not known"),
    ({"cash_to_keep": "120%"}, "a percentage is between 0 and 100"),
    ({"cash_to_raise": {"amount": "5000"}}, "cash to raise needs an amount and a date"),
    ({"federal_short_term_rate": "37"}, "set in the firm defaults, tax entity, not the account"),
    ({"restriction_lists": ["KOSHER"]}, "restriction list 'KOSHER' is not known"),
    ({"commission_schedule": "Z"}, "commission schedule 'Z' is not known"),
    ({"kappa": "3"}, "kappa: there is no such setting"),
    ({"loss_harvesting": "sometimes"}, "'sometimes' is not yes or no"),
])
def test_bad_values_are_refused_with_a_clear_message(firm, changes, message):
    with firm_context(firm.firm):
        with pytest.raises(ValidationError) as caught:
            account_settings_update(account=firm.account, changes=changes, reason="x",
                                    acting_user=firm.advisor)
        assert message in " ".join(caught.value.messages)
        assert not AccountSettings.objects.filter(account=firm.account).exists()


def test_a_reason_is_required_and_cash_to_raise_needs_a_future_date(firm):
    with firm_context(firm.firm):
        with pytest.raises(ValidationError, match="A reason is required"):
            account_settings_update(account=firm.account, changes={"tracking": "loose"},
                                    reason=" ", acting_user=firm.advisor)
        yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
        with pytest.raises(ValidationError, match="has passed"):
            account_settings_update(account=firm.account,
                                    changes={"cash_to_raise": {"amount": "5000",
                                                               "by": yesterday}},
                                    reason="withdrawal", acting_user=firm.advisor)
        soon = timezone.localdate() + timedelta(days=30)
        account_settings_update(account=firm.account,
                                changes={"cash_to_raise": {"amount": "25000",
                                                           "by": soon.isoformat()},
                                         "restriction_lists": ["ESG"]},
                                reason="tuition", acting_user=firm.advisor)
        settings = effective_settings(firm.account)
    assert settings["cash_to_raise"] == CashToRaise(Decimal("25000.00"), soon)
    assert len(settings["restriction_lists"]) == 1


def test_batch_resolution_is_a_few_queries_whatever_the_number(firm,
                                                               django_assert_max_num_queries):
    with firm_context(firm.firm):
        with audit_context(system_job="tests"):
            accounts = [Account.objects.create(account_number=f"Q-{i}", name=f"Q {i}",
                                               household=firm.household) for i in range(60)]
        account_settings_update(account=accounts[3], changes={"tracking": "loose"},
                                reason="x", acting_user=firm.advisor)
        with django_assert_max_num_queries(5):
            resolved = effective_settings_batch([a.pk for a in accounts])
    assert resolved[accounts[3].pk]["tracking"] == "loose"
    assert resolved[accounts[4].pk]["tracking"] == "normal"
    assert resolved[accounts[3].pk].content_hash() != resolved[accounts[4].pk].content_hash()
    # Accounts resolved from the same layers share their content (stored once in records).
    assert resolved[accounts[5].pk].content_hash() == resolved[accounts[4].pk].content_hash()
    assert resolved[accounts[5].pk].values is resolved[accounts[4].pk].values


def test_rule_values_are_checked_like_any_other_layer():
    from accounts.settings_catalog import SettingError

    with pytest.raises(SettingError, match="Cash to raise by a date: set in"):
        parse_changes({"cash_to_raise": {"amount": "1", "by": "2030-01-01"}}, layer="firm")
    assert date.fromisoformat("2030-01-01")
