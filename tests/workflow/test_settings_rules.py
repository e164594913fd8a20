"""Settings rules across accounts: the rule behind each value, exemptions with reasons, the
preview before applying, one change set with its history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account, CommissionSchedule
from accounts.settings_resolution import effective_settings_batch
from dataops.models import Security
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.workflow.filter_book import filter_book
from workflow.models import SettingsChangeSet, SettingsRuleExemption
from workflow.services.settings_rules import (
    rules_by_account,
    settings_rule_apply,
    settings_rule_preview,
)

pytestmark = pytest.mark.django_db
EVERY_ACCOUNT = {"all": []}


def test_do_not_trade_ibm_for_all_but_two_exempted_accounts(alice_firm):
    book = filter_book(alice_firm)
    exempt = {book.accounts["F-1"].pk: "the client's legacy IBM position, managed by hand",
              book.accounts["F-3"].pk: "IBM employee: trading windows"}
    with firm_context(book.firm):
        preview = settings_rule_preview(name="No IBM", query=EVERY_ACCOUNT,
                                        changes={"do_not_trade": "IBM"}, exemptions=exempt)
        all_accounts = Account.objects.count()
        every_number = set(Account.objects.values_list("account_number", flat=True))
        assert SettingsChangeSet.objects.count() == 0  # a preview saves nothing
        change_set = settings_rule_apply(
            name="No IBM", query=EVERY_ACCOUNT, changes={"do_not_trade": "IBM"},
            exemptions=exempt, reason="house view: IBM restricted",
            acting_user=alice_firm.overlay_manager)
        covering = rules_by_account()
        ids = list(Account.objects.values_list("pk", flat=True))
        effective = effective_settings_batch(ids, rules=covering)
        ibm_id = Security.objects.get(ticker="IBM").pk
        exemptions = list(SettingsRuleExemption.objects.values_list("reason", flat=True))
        history = change_set.rule.history.first()
    assert preview.accounts_covered == preview.accounts_changed == all_accounts - 2
    assert {c.account_number for c in preview.changes} == every_number - {"F-1", "F-3"}
    first = preview.changes[0].changes[0]
    assert (first.setting, first.before, first.after) == ("do_not_trade", "—", "IBM")
    assert sorted(preview.exempted) == [("F-1", exempt[book.accounts["F-1"].pk]),
                                        ("F-3", exempt[book.accounts["F-3"].pk])]
    rule = change_set.rule
    for account_id, settings in effective.items():
        if account_id in exempt:
            assert ibm_id not in settings["do_not_trade"]
            continue
        assert ibm_id in settings["do_not_trade"]
        source = settings.values["do_not_trade"].item_sources[ibm_id]
        assert (source.layer, source.ref, source.label) == ("rule", rule.pk,
                                                            f"rule {rule.pk} (No IBM)")
    assert (change_set.accounts_affected, change_set.accounts_changed) == (all_accounts - 2,
                                                                           all_accounts - 2)
    assert change_set.reason == "house view: IBM restricted"
    assert (history.history_user_id, history.history_change_reason) == (
        alice_firm.overlay_manager.pk, "house view: IBM restricted")
    assert sorted(exemptions) == sorted(exempt.values())


def test_platinum_clients_commission_schedule_b(alice_firm):
    book = filter_book(alice_firm)
    with firm_context(book.firm):
        with audit_context(system_job="tests"):
            CommissionSchedule.objects.create(code="B", name="Schedule B")
        platinum = {"field": "custom.tier", "op": "eq", "value": "Platinum"}
        rule = settings_rule_apply(name="Platinum commission", query=platinum,
                                   changes={"commission_schedule": "B"}, reason="new pricing",
                                   acting_user=alice_firm.overlay_manager).rule
        covering = rules_by_account()
        effective = effective_settings_batch(list(book.accounts.values()), rules=covering)
        # Exempting F-1 from the rule: the preview shows its schedule going back.
        preview = settings_rule_preview(
            rule=rule, name=rule.name, query=platinum,
            exemptions={book.accounts["F-1"].pk: "negotiated its own"})
    numbers = {a.pk: n for n, a in book.accounts.items()}
    assert sorted(numbers[pk] for pk in covering) == ["F-1", "F-3"]
    sources = {numbers[pk]: s.source("commission_schedule").label
               for pk, s in effective.items()}
    assert sources == {"F-1": f"rule {rule.pk} (Platinum commission)", "F-2": "Rebal default",
                       "F-3": f"rule {rule.pk} (Platinum commission)", "F-4": "Rebal default",
                       "F-5": "Rebal default", "F-6": "Rebal default"}
    assert [(c.account_number, [(x.setting, x.before, x.after) for x in c.changes])
            for c in preview.changes] == [("F-1", [("commission_schedule", "B", "—")])]
    assert (preview.accounts_covered, preview.accounts_changed) == (1, 1)


def test_refusals(alice_firm):
    book = filter_book(alice_firm)
    with firm_context(book.firm):
        with pytest.raises(ValidationError, match="settings rules may not"):
            settings_rule_preview(name="x", query={"field": "turnover", "op": "gt", "value": 1},
                                  changes={"tracking": "loose"})
        with pytest.raises(ValidationError, match="no such setting"):
            settings_rule_preview(name="x", query=EVERY_ACCOUNT, changes={"colour": "red"})
        with pytest.raises(ValidationError, match="An exemption needs a reason: F-2"):
            settings_rule_apply(name="x", query=EVERY_ACCOUNT, changes={"tracking": "loose"},
                                exemptions={book.accounts["F-2"].pk: " "}, reason="why",
                                acting_user=alice_firm.overlay_manager)
        with pytest.raises(ValidationError, match="A reason is required"):
            settings_rule_apply(name="x", query=EVERY_ACCOUNT, changes={"tracking": "loose"},
                                reason="", acting_user=alice_firm.overlay_manager)
        with pytest.raises(PermissionDenied):
            settings_rule_apply(name="x", query=EVERY_ACCOUNT, changes={"tracking": "loose"},
                                reason="why", acting_user=alice_firm.advisor)


def test_the_rule_page_previews_then_applies(alice_firm):
    from django.test import Client

    book = filter_book(alice_firm)
    client = Client()
    client.force_login(alice_firm.overlay_manager)
    form = {"name": "Gold loose", "query_json": '{"field": "custom.tier", "op": "eq", '
            '"value": "Gold"}', "setting": "tracking", "value": "loose", "position": "100",
            "exemptions": "F-6: tracks a custom benchmark", "reason": "Gold clients asked"}
    preview = client.post("/workflow/settings-rules/new/", {**form, "action": "preview"})
    page = preview.content.decode()
    assert "Preview: 1 account(s) covered, 1 would change" in page  # F-2 (F-6 exempt)
    assert "F-6 (tracks a custom benchmark)" in page
    with firm_context(book.firm):
        assert not SettingsChangeSet.objects.exists()
    applied = client.post("/workflow/settings-rules/new/", {**form, "action": "apply"})
    assert applied.status_code == 302
    with firm_context(book.firm):
        change_set = SettingsChangeSet.objects.get()
    assert (change_set.accounts_affected, change_set.reason) == (1, "Gold clients asked")
    listed = client.get("/workflow/settings-rules/").content.decode()
    assert "Gold loose" in listed and "Gold clients asked" in listed
    assert '<td class="num">1</td>' in listed  # F-6 exempt
    assert "Gold loose" not in client.get("/workflow/settings-rules/",
                                          {"active": "no"}).content.decode()
    assert "Gold loose" not in client.get("/workflow/settings-rules/",
                                          {"q": "silver"}).content.decode()
    client.force_login(alice_firm.advisor)
    assert client.get("/workflow/settings-rules/").status_code == 403
