"""Every audited model records who, when and why; history cannot be skipped or rewritten."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from simple_history.models import HistoricalChanges

from accounts.models import (
    Account,
    AccountHold,
    AccountSettings,
    CommissionSchedule,
    CustomField,
    FirmSettings,
    GrantEvent,
    Household,
    HouseholdSettings,
    TaxEntity,
    TaxEntitySettings,
)
from dataops.models import (
    AssetClass,
    CorporateAction,
    FeedFile,
    FeedPolicy,
    FeedSchedule,
    IdenticalGroup,
    RestrictionEntry,
    RestrictionList,
    Security,
    SecurityIdentifier,
    UnknownSecurity,
)
from models_hub.models import (
    AllocationWeight,
    ApprovedAlternative,
    AssetAllocation,
    CustomizationLimit,
    EquivalenceMember,
    EquivalenceSet,
    FeeSchedule,
    FeeTier,
    ModelChange,
    ModelProvider,
    ModelSubscription,
    Program,
    ProgramProduct,
    SecurityModel,
    SpinoffPolicy,
)
from rebal.audit import (
    AuditedQuerySet,
    HistorySkippedError,
    audit_context,
    bulk_create_audited,
    bulk_update_audited,
)
from rebal.firm_context import firm_context
from rebal.models import APIToken, Firm, Membership, SignOnProvider, Team, User
from rebal.services import api_token_create
from workflow.models import (
    BatchTrade,
    ClientConsent,
    DispositionPolicy,
    NightlyPolicy,
    NightlyRun,
    ReleaseControl,
    SavedFilter,
    SettingsRule,
    SettingsRuleExemption,
    TradeBatch,
)

pytestmark = pytest.mark.django_db

AUDITED_MODELS = [Firm, User, Membership, Team, APIToken, SignOnProvider, Household, Account,
                  TaxEntity, CustomField,
                  AccountHold, AssetClass, IdenticalGroup, Security, SecurityIdentifier,
                  UnknownSecurity, RestrictionList, RestrictionEntry, FeedSchedule, FeedPolicy,
                  CorporateAction, SecurityModel, AssetAllocation, AllocationWeight, ModelProvider,
                  Program, ProgramProduct, ApprovedAlternative, EquivalenceSet, EquivalenceMember,
                  CustomizationLimit, ModelChange, FeeSchedule, FeeTier, ModelSubscription,
                  FirmSettings, HouseholdSettings, AccountSettings, TaxEntitySettings,
                  CommissionSchedule, NightlyPolicy, SavedFilter, DispositionPolicy,
                  SettingsRule, SettingsRuleExemption, SpinoffPolicy, TradeBatch, BatchTrade,
                  ClientConsent, ReleaseControl, GrantEvent]
# Written once and kept (the application role may not update or delete them): audited when made.
APPEND_ONLY = [m for m in AUDITED_MODELS if getattr(m, "append_only", False)]
CHANGEABLE = [m for m in AUDITED_MODELS if m not in APPEND_ONLY]


def _security(name="Audit Security"):
    return Security.objects.create(name=name, ticker=name[:4].upper())


def _asset_class(code="EQ"):
    return AssetClass.objects.create(code=code, name=code)


def _allocation():
    return AssetAllocation.objects.create(code="AUD-ALLOC", name="Audit", risk_profile="moderate")


def _product(code="AUD-P"):
    return SecurityModel.objects.create(code=code, asset_class=_asset_class(f"AC-{code}"))


def _provider():
    return ModelProvider.objects.create(code="AUD-PROV", name="Audit provider")


def _schedule():
    return FeeSchedule.objects.create(provider=_provider(), code="AUD-FEES")


def _new_value(field):
    """The value an update sets: any text, except for fields that need their own kind."""
    return {"roles": lambda: ["ipc"], "max_bad_row_fraction": lambda: Decimal("0.1000"),
            "weight": lambda: Decimal("0.5"), "annual_bps": lambda: Decimal("12.5"),
            "product": lambda: _product("AUD-OTHER"),
            "security": lambda: _security("Other Security"),
            "start_time": lambda: dt.time(7, 15)}.get(field, lambda: "Changed")()


def _batch():
    run = NightlyRun.objects.create(business_date=dt.date(2026, 11, 24), trigger="tests")
    return TradeBatch.objects.create(run=run, disposition="review")


def _batch_trade(persona):
    from optimizer.models import Analysis, ProposedTrade

    analysis = Analysis.objects.create(account=persona.account, trade_date=dt.date(2026, 11, 24),
                                       status="optimal", summary="", before={}, after={},
                                       trade_metrics={}, calibration={}, solver={})
    security = _security()
    trade = ProposedTrade.objects.create(
        analysis=analysis, security=security, side="buy", shares=Decimal(1), price=Decimal(1),
        value=Decimal(1), realized_gain=Decimal(0), estimated_tax=Decimal(0), explanation="")
    return BatchTrade(batch=_batch(), account=persona.account, analysis=analysis,
                      proposed_trade=trade, security=security, side="buy", shares=Decimal(1),
                      price=Decimal(1), discretionary=True)


def _feed_file():
    return FeedFile.objects.create(name="securities_20261124.csv", checksum="0" * 64, size=1,
                                   door="cli", delivered_by="tests")


def test_the_list_above_is_every_audited_model():
    audited = {m for m in apps.get_models()
               if hasattr(m, "history") and not issubclass(m, HistoricalChanges)}
    assert audited == set(AUDITED_MODELS)
    for model in audited:
        assert isinstance(model._default_manager.get_queryset(), AuditedQuerySet) or \
            issubclass(model._default_manager._queryset_class, AuditedQuerySet), model


def _make(model, persona):
    """A new unsaved object of `model` in the persona's firm, plus a field to change."""
    user = persona.admin
    return {
        Firm: (lambda: Firm(code="AUDITX", name="Audit X"), "name"),
        User: (lambda: User(username="newbie@x.test", email="newbie@x.test"), "first_name"),
        Membership: (lambda: Membership(user=User.objects.create(
            username="m@x.test", email="m@x.test"), roles=["advisor"]), "roles"),
        Team: (lambda: Team(name="West"), "name"),
        APIToken: (lambda: APIToken(name="oms", key_hash="f" * 64, key_prefix="rbl_x",
                                    scopes=["orders:read"], created_by=user), "name"),
        Household: (lambda: Household(code="AUD", name="Audit Household"), "name"),
        Account: (lambda: Account(account_number="AUD-1", name="Audit Acct",
                                  household=persona.household), "name"),
        TaxEntity: (lambda: TaxEntity(code="TE-AUD"), "code"),
        CustomField: (lambda: CustomField(name="tier"), "label"),
        GrantEvent: (lambda: GrantEvent(advisor=persona.advisor, household=persona.household,
                                        kind="granted", reason="takes over"), "reason"),
        AccountHold: (lambda: AccountHold(account=persona.account, kind="suspension",
                                          reason="client request", source="user:1"), "reason"),
        AssetClass: (lambda: AssetClass(code="EQ", name="Equity"), "name"),
        IdenticalGroup: (lambda: IdenticalGroup(code="VFIAX"), "code"),
        Security: (lambda: Security(name="Audit Corp", ticker="AUDC"), "name"),
        SecurityIdentifier: (lambda: SecurityIdentifier(security=_security(), kind="ticker",
                                                        value="AUDT"), "value"),
        UnknownSecurity: (lambda: UnknownSecurity(ticker="ZZZZ", placeholder=_security("Zed"),
                                                  first_seen_file=_feed_file()), "ticker"),
        RestrictionList: (lambda: RestrictionList(code="ESG", name="ESG screen"), "name"),
        RestrictionEntry: (lambda: RestrictionEntry(
            restriction_list=RestrictionList.objects.create(code="R1"),
            security=_security(), reason="tobacco"), "reason"),
        FeedSchedule: (lambda: FeedSchedule(feed="tax_lots"), "feed"),
        FeedPolicy: (lambda: FeedPolicy(), "max_bad_row_fraction"),
        CorporateAction: (lambda: CorporateAction(
            action_id="CA1", type="split", effective_date=dt.date(2026, 11, 24),
            feed_file=_feed_file()), "description"),
        SecurityModel: (lambda: SecurityModel(code="LCAP"), "name"),
        SpinoffPolicy: (lambda: SpinoffPolicy(policy="add_to_model"), "policy"),
        SignOnProvider: (lambda: SignOnProvider(issuer="https://sso.x.test", client_id="rebal",
                                                client_secret="x"), "client_id"),
        AssetAllocation: (lambda: AssetAllocation(code="BAL", name="Balanced",
                                                  risk_profile="moderate"), "name"),
        AllocationWeight: (lambda: AllocationWeight(allocation=_allocation(),
                                                    asset_class=_asset_class(),
                                                    weight=Decimal(1)), "weight"),
        ModelProvider: (lambda: ModelProvider(code="NQA", name="Northfield"), "name"),
        Program: (lambda: Program(code="BAL60", name="Balanced", allocation=_allocation()),
                  "name"),
        ProgramProduct: (lambda: ProgramProduct(
            program=Program.objects.create(code="P", name="P", allocation=_allocation()),
            asset_class=_asset_class(), product=_product()), "product"),
        ApprovedAlternative: (lambda: ApprovedAlternative(asset_class=_asset_class(),
                                                          product=_product()), "note"),
        EquivalenceSet: (lambda: EquivalenceSet(code="SP500"), "name"),
        EquivalenceMember: (lambda: EquivalenceMember(
            equivalence_set=EquivalenceSet.objects.create(code="S"), security=_security()),
            "security"),
        CustomizationLimit: (lambda: CustomizationLimit(name="Equity band",
                                                        asset_class=_asset_class()), "name"),
        ModelChange: (lambda: ModelChange(kind="allocation", code="BAL", proposed={},
                                          summary="new", reason="why", author=user), "summary"),
        FeeSchedule: (lambda: FeeSchedule(provider=_provider(), code="F1"), "name"),
        FeeTier: (lambda: FeeTier(schedule=_schedule(), assets_from=Decimal(0),
                                  annual_bps=Decimal(25)), "annual_bps"),
        ModelSubscription: (lambda: ModelSubscription(provider=_provider(),
                                                      requested_on=dt.date(2026, 11, 1)),
                            "note"),
        FirmSettings: (lambda: FirmSettings(values={"tracking": "tight"}), "values"),
        HouseholdSettings: (lambda: HouseholdSettings(household=persona.household), "values"),
        AccountSettings: (lambda: AccountSettings(account=persona.account), "values"),
        TaxEntitySettings: (lambda: TaxEntitySettings(
            tax_entity=TaxEntity.objects.create(code="TE-S")), "values"),
        CommissionSchedule: (lambda: CommissionSchedule(code="B", name="B"), "name"),
        NightlyPolicy: (lambda: NightlyPolicy(), "start_time"),
        SavedFilter: (lambda: SavedFilter(name="Open", query={"all": []}), "name"),
        DispositionPolicy: (lambda: DispositionPolicy(name="Holds", target="suspend",
                                                      query={"all": []}), "name"),
        SettingsRule: (lambda: SettingsRule(name="No IBM", query={"all": []}), "name"),
        SettingsRuleExemption: (lambda: SettingsRuleExemption(
            rule=SettingsRule.objects.create(name="R"), account=persona.account,
            reason="client owns it elsewhere"), "reason"),
        TradeBatch: (lambda: TradeBatch(run=_batch().run, disposition="auto_trade"),
                     "rejection_reason"),
        BatchTrade: (lambda: _batch_trade(persona), "lots"),
        ClientConsent: (lambda: ClientConsent(
            batch=_batch(), account=persona.account, method="phone",
            obtained_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC), recorded_by=user), "note"),
        ReleaseControl: (lambda: ReleaseControl(), "reason"),
    }[model]


@pytest.mark.parametrize("model", CHANGEABLE, ids=lambda m: m.__name__)
def test_create_update_delete_record_who_when_why(model, alice_firm):
    factory, field = _make(model, alice_firm)
    before = dt.datetime.now(dt.UTC)
    with firm_context(alice_firm.firm):
        with audit_context(user=alice_firm.admin, reason="created for the audit test"):
            obj = factory()
            obj.save()
        with audit_context(user=alice_firm.compliance, reason="renamed"):
            value = _new_value(field)
            setattr(obj, field, value)
            obj.save()
        with audit_context(system_job="nightly", reason="removed"):
            pk = obj.pk
            if model is User:
                obj.is_active = False
                obj.save()
            else:
                obj.delete()
        history = list(model.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [h.history_type for h in history] == ["+", "~", "~" if model is User else "-"]
    created, changed, deleted = history
    assert created.history_user == alice_firm.admin
    assert created.history_change_reason == "created for the audit test"
    assert changed.history_user == alice_firm.compliance
    assert changed.history_change_reason == "renamed"
    if hasattr(value, "pk"):  # a foreign key: compared by id, outside the firm's context
        assert getattr(changed, f"{field}_id") == value.pk
    else:
        assert getattr(changed, field) == value
    assert deleted.history_user is None and deleted.history_system_job == "nightly"
    assert deleted.history_change_reason == "removed"
    assert all(h.history_date >= before and h.history_date.tzinfo is not None for h in history)
    diff = changed.diff_against(created)
    assert [c.field for c in diff.changes] == [field]


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_an_append_only_object_records_who_when_why_once_and_stays(model, alice_firm):
    factory, field = _make(model, alice_firm)
    with firm_context(alice_firm.firm):
        with audit_context(user=alice_firm.admin, reason="made for the audit test"):
            obj = factory()
            obj.save()
        created = model.history.get(id=obj.pk)
        setattr(obj, field, _new_value(field))
        with audit_context(user=alice_firm.admin, reason="changed"), \
                pytest.raises(DatabaseError), transaction.atomic():
            obj.save()
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+", alice_firm.admin, "made for the audit test")


def test_people_are_deactivated_never_deleted(alice_firm):
    with pytest.raises(PermissionError, match="deactivated"):
        alice_firm.advisor.delete()


def test_api_token_writes_record_the_token(alice_firm):
    with firm_context(alice_firm.firm):
        issued = api_token_create(name="oms", scopes=["orders:read"], acting_user=alice_firm.admin)
        with audit_context(api_token=issued.token, reason="via API"):
            Household.objects.create(code="TOK", name="Created by token")
        record = Household.history.get(code="TOK")
    assert record.history_api_token_id == issued.token.pk
    assert record.history_change_reason == "via API"


def test_write_with_no_actor_is_refused(alice_firm):
    from rebal.audit import Actor, _actor

    token = _actor.set(Actor())
    try:
        with firm_context(alice_firm.firm), pytest.raises(HistorySkippedError):
            Household.objects.create(code="ANON", name="Nobody")
    finally:
        _actor.reset(token)


@pytest.mark.parametrize("model", AUDITED_MODELS, ids=lambda m: m.__name__)
def test_history_skipping_writes_are_refused(model, alice_firm):
    with firm_context(alice_firm.firm):
        with pytest.raises(HistorySkippedError):
            model.objects.all().update(pk=0)
        factory, _ = _make(model, alice_firm)
        with pytest.raises(HistorySkippedError):
            model.objects.bulk_create([factory()])
        existing = list(model.objects.all()[:1])
        with pytest.raises(HistorySkippedError):
            model.objects.bulk_update(existing, ["pk"])


def test_bulk_helpers_write_history(alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="securities feed",
                                                      reason="file households_20261124.csv"):
        created = bulk_create_audited(Household, [
            Household(firm=alice_firm.firm, code=f"B{i}", name=f"Bulk {i}") for i in range(3)])
        for household in created:
            household.name += " (renamed)"
        bulk_update_audited(Household, created, ["name"])
        rows = list(Household.history.filter(code__startswith="B").order_by("history_id"))
    assert len(rows) == 6
    assert {r.history_change_reason for r in rows} == {"file households_20261124.csv"}
    assert {r.history_system_job for r in rows} == {"securities feed"}
    assert [r.name for r in rows if r.history_type == "~"] == [
        "Bulk 0 (renamed)", "Bulk 1 (renamed)", "Bulk 2 (renamed)"]


@pytest.mark.parametrize("table", sorted({m._meta.db_table for m in apps.get_models()
                                          if issubclass(m, HistoricalChanges)}))
def test_history_rows_cannot_be_updated_or_deleted(table, alice_firm):
    with firm_context(alice_firm.firm), connection.cursor() as cursor:
        for statement in (f"UPDATE {table} SET history_change_reason = 'rewritten'",  # noqa: S608
                          f"DELETE FROM {table}",  # noqa: S608
                          f"TRUNCATE {table}"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)
