"""The demo firm's model book: what an investment policy committee would have published.

`model_book_ensure(firm=…)` — call it after the demo feeds are loaded (it needs the security
master, and uses the products the models feed delivered) — builds, idempotently:

- readable names for the asset-class tree (EQ › EQ.US › EQ.US.LARGE "US Large Cap" …);
- products per asset class from the demo universe: the ETF products of the models feed (placed
  in their asset classes), an index mutual-fund product per class (Admiral shares), the
  LCAP_DIRECT direct index, and the third-party LCAP_DIVIDEND model of Northfield Quant Advisors;
- allocations from Conservative to Aggressive, matching the programs the demo accounts name
  (CONS30, INCOME, BAL60, GROWTH80, EQUITY100), each a root program on ETFs, and three child
  programs holding municipal bonds instead of taxable bonds (BAL60-MUNI, GROWTH80-MUNI,
  CONS30-MUNI);
- the mutual funds, the direct index and the third-party model as approved alternatives;
  equivalence sets of same-index ETFs; equity bands per risk profile, a cash floor and a real
  estate ceiling;
- the provider NQA with a tiered fee schedule and an active subscription;
- firm defaults, commission schedules, and customizations on about a quarter of the accounts
  (no real estate, mutual funds, the direct index, the dividend sleeve, a mid-cap tilt, higher
  tax sensitivity, restriction lists, a household's preferences, state tax rates), each through
  the settings service, so each is within the limits like any advisor's change.

Every structure is proposed by one committee member (ipc@…) and approved by a second
(ipc-2@…, created here), as the publishing rules require.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Account, AccountSettings, Household, HouseholdSettings, TaxEntity
from accounts.services.settings import (
    account_settings_update,
    commission_schedule_save,
    firm_settings_update,
    household_settings_update,
    tax_entity_settings_update,
)
from accounts.settings_catalog import Vocabulary
from dataops.models import AssetClass, RestrictionList, Security
from dataops.services.asset_classes import asset_classes_ensure
from demo.feeds.universe import (
    BOND_AGG,
    BOND_MUNI,
    CASH,
    INTL_DEV,
    INTL_EM,
    LARGE,
    MID,
    REAL_ESTATE,
    SMALL,
)
from models_hub import services as hub
from models_hub.book import ModelBook
from models_hub.models import (
    ApprovedAlternative,
    AssetAllocation,
    CustomizationLimit,
    EquivalenceSet,
    FeeSchedule,
    ModelChange,
    ModelProvider,
    ModelSubscription,
    Program,
    SecurityModel,
)
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm, Membership, Role, User
from rebal.services import membership_grant, user_ensure

CLASS_NAMES = {
    "EQ": "Equity", "EQ.US": "US Equity", LARGE: "US Large Cap", MID: "US Mid Cap",
    SMALL: "US Small Cap", "EQ.INTL": "International Equity", INTL_DEV:
    "International Developed", INTL_EM: "Emerging Markets", "FI": "Fixed Income",
    "FI.US": "US Fixed Income", BOND_AGG: "US Aggregate Bond", BOND_MUNI: "Municipal Bond",
    "RE": "Real Estate", REAL_ESTATE: "US Real Estate", CASH: "Cash",
}
# code: (name, asset class, kind, {ticker: weight} for products the feed does not deliver)
PRODUCTS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "LCAP_ETF": ("US Large Cap ETF", LARGE, "etf", {"IVV": "1"}),
    "LCAP_FUND": ("US Large Cap Index Fund", LARGE, "mutual_fund", {"VFIAX": "1"}),
    "LCAP_DIRECT": ("US Large Cap Direct Index (Top 100)", LARGE, "direct_index", {}),
    "LCAP_DIVIDEND": ("Northfield Quality Dividend 50", LARGE, "third_party", {}),
    "MCAP_ETF": ("US Mid Cap ETF", MID, "etf", {"IJH": "1"}),
    "MCAP_FUND": ("US Mid Cap Index Fund", MID, "mutual_fund", {"VIMAX": "1"}),
    "SCAP_ETF": ("US Small Cap ETF", SMALL, "etf", {"IJR": "1"}),
    "SCAP_FUND": ("US Small Cap Index Fund", SMALL, "mutual_fund", {"VSMAX": "1"}),
    "INTL_DEV_ETF": ("International Developed ETF", INTL_DEV, "etf", {"IEFA": "1"}),
    "INTL_DEV_FUND": ("International Developed Index Fund", INTL_DEV, "mutual_fund",
                      {"VTMGX": "1"}),
    "EM_ETF": ("Emerging Markets ETF", INTL_EM, "etf", {"IEMG": "1"}),
    "EM_FUND": ("Emerging Markets Index Fund", INTL_EM, "mutual_fund", {"VEMAX": "1"}),
    "BOND_CORE": ("Core US Aggregate Bond", BOND_AGG, "etf", {"AGG": "0.6", "VBTLX": "0.4"}),
    "BOND_FUND": ("US Aggregate Bond Index Fund", BOND_AGG, "mutual_fund", {"VBTLX": "1"}),
    "MUNI_CORE": ("National Municipal Bond", BOND_MUNI, "etf", {"MUB": "0.5", "VTEB": "0.5"}),
    "MUNI_FUND": ("Intermediate Tax-Exempt Fund", BOND_MUNI, "mutual_fund", {"VWIUX": "1"}),
    "REIT_ETF": ("US Real Estate ETF", REAL_ESTATE, "etf", {"VNQ": "1"}),
    "REIT_FUND": ("US Real Estate Index Fund", REAL_ESTATE, "mutual_fund", {"VGSLX": "1"}),
    "CASH_MMF": ("Cash Sweep Money Market", CASH, "mutual_fund", {"VMFXX": "1"}),
}
ETF_PRODUCTS = {LARGE: "LCAP_ETF", MID: "MCAP_ETF", SMALL: "SCAP_ETF", INTL_DEV: "INTL_DEV_ETF",
                INTL_EM: "EM_ETF", BOND_AGG: "BOND_CORE", BOND_MUNI: "MUNI_CORE",
                REAL_ESTATE: "REIT_ETF", CASH: "CASH_MMF"}
FUND_PRODUCTS = {LARGE: "LCAP_FUND", MID: "MCAP_FUND", SMALL: "SCAP_FUND",
                 INTL_DEV: "INTL_DEV_FUND", INTL_EM: "EM_FUND"}
ALTERNATIVES = {LARGE: ["LCAP_FUND", "LCAP_DIRECT", "LCAP_DIVIDEND"], MID: ["MCAP_FUND"],
                SMALL: ["SCAP_FUND"], INTL_DEV: ["INTL_DEV_FUND"], INTL_EM: ["EM_FUND"],
                BOND_AGG: ["BOND_FUND"], BOND_MUNI: ["MUNI_FUND"], REAL_ESTATE: ["REIT_FUND"]}
# Conservative to aggressive, in percent; the programs of the demo accounts (demo.feeds.book).
ALLOCATIONS: dict[str, tuple[str, str, dict[str, int]]] = {
    "CONS30": ("Conservative 30/70", "conservative", {
        LARGE: 17, MID: 3, SMALL: 2, INTL_DEV: 5, REAL_ESTATE: 3, BOND_AGG: 65, CASH: 5}),
    "INCOME": ("Income", "moderately_conservative", {
        LARGE: 22, INTL_DEV: 5, REAL_ESTATE: 8, BOND_AGG: 60, CASH: 5}),
    "BAL60": ("Balanced 60/40", "moderate", {
        LARGE: 33, MID: 5, SMALL: 4, INTL_DEV: 9, INTL_EM: 3, REAL_ESTATE: 4, BOND_AGG: 40,
        CASH: 2}),
    "GROWTH80": ("Growth 80/20", "moderately_aggressive", {
        LARGE: 44, MID: 7, SMALL: 5, INTL_DEV: 12, INTL_EM: 5, REAL_ESTATE: 5, BOND_AGG: 20,
        CASH: 2}),
    "EQUITY100": ("All Equity", "aggressive", {
        LARGE: 58, MID: 10, SMALL: 8, INTL_DEV: 15, INTL_EM: 7, CASH: 2}),
}
MUNI_CHILDREN = ("CONS30", "BAL60", "GROWTH80")
EQUIVALENCE_SETS = {
    "SP500": ("S&P 500 trackers", ["SPY", "IVV", "VOO"]),
    "MIDCAP": ("US mid cap trackers", ["IJH", "MDY", "VO"]),
    "SMALLCAP": ("US small cap trackers", ["IJR", "VB", "IWM"]),
    "DEVELOPED": ("Developed markets trackers", ["EFA", "IEFA", "VEA"]),
    "EMERGING": ("Emerging markets trackers", ["EEM", "IEMG", "VWO"]),
    "AGGREGATE": ("US aggregate bond trackers", ["AGG", "BND", "SCHZ"]),
    "MUNICIPAL": ("Municipal bond trackers", ["MUB", "VTEB", "TFI"]),
    "REIT": ("US REIT trackers", ["VNQ", "IYR", "SCHH"]),
    "MONEY_MARKET": ("Government money market funds", ["VMFXX", "SPAXX"]),
}
# (name, risk profile, asset class, max change, min weight, max weight), fractions.
LIMITS = [
    ("Conservative equity band", "conservative", "EQ", "0.05", None, "0.40"),
    ("Moderately conservative equity band", "moderately_conservative", "EQ", "0.075", None,
     "0.50"),
    ("Moderate equity band", "moderate", "EQ", "0.10", None, None),
    ("Moderately aggressive equity band", "moderately_aggressive", "EQ", "0.10", None, None),
    ("Aggressive equity band", "aggressive", "EQ", "0.10", None, None),
    ("Cash floor", "", CASH, None, "0.01", None),
    ("Real estate ceiling", "", REAL_ESTATE, None, None, "0.10"),
]
PROVIDER = ("NQA", "Northfield Quant Advisors", "models@northfield.example")
FEE_TIERS = [("0", "30"), ("1000000", "25"), ("10000000", "20")]
REASON = "Demo model book"


@dataclass
class ModelBookSummary:
    """What model_book_ensure made (zeros on a second run: it is idempotent)."""

    published: int = 0
    alternatives: int = 0
    equivalence_sets: int = 0
    limits: int = 0
    customized_accounts: int = 0
    refused_customizations: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, firm: Firm, summary: ModelBookSummary):
        self.firm = firm
        self.summary = summary
        self.author, self.approver = self._committee()
        self.classes = {a.code: a for a in AssetClass.objects.all()}

    def _committee(self) -> tuple[User, User]:
        code = self.firm.code.lower()
        with audit_context(system_job="demo_model_book"):
            author = user_ensure(email=f"ipc@{code}.rebal.test")
            approver = user_ensure(email=f"ipc-2@{code}.rebal.test", first_name="Investment")
            for user in (author, approver):
                membership = Membership.objects.filter(user=user).first()
                if membership is None or Role.IPC not in membership.roles:
                    roles = sorted({*(membership.roles if membership else ()), Role.IPC})
                    membership_grant(user=user, roles=roles, acting_user=None,
                                     system_job="demo_model_book")
        return author, approver

    def publish(self, change: ModelChange) -> ModelChange:
        self.summary.published += 1
        return hub.model_change_approve(change=change, reason="Reviewed by a second member",
                                        acting_user=self.approver)

    def asset_classes(self) -> None:
        asset_classes_ensure(CLASS_NAMES)
        with audit_context(system_job="demo_model_book", reason=REASON):
            for asset_class in AssetClass.objects.filter(code__in=list(CLASS_NAMES)):
                if asset_class.name == asset_class.code:
                    asset_class.name = CLASS_NAMES[asset_class.code]
                    asset_class.save()
        self.classes = {a.code: a for a in AssetClass.objects.all()}

    def products(self) -> dict[str, SecurityModel]:
        tickers = {s.ticker: s.pk for s in Security.objects.filter(status="active")}
        provider = self.provider()
        existing = {p.code: p for p in SecurityModel.objects.all()}
        has_weights = set(ModelBook.load(as_of=timezone.localdate()).versions)
        for code, (name, asset_class, kind, weights) in PRODUCTS.items():
            product = existing.get(code)
            if product is not None and product.asset_class_id is not None:
                continue
            needs_weights = product is None or product.pk not in has_weights
            if needs_weights and (not weights or any(t not in tickers for t in weights)):
                continue  # a feed product that did not arrive, or a fund not in the master
            self.publish(hub.product_propose(
                code=code, name=name, asset_class=self.classes[asset_class], kind=kind,
                weights={tickers[t]: w for t, w in weights.items()} if needs_weights else None,
                effective_date=date(2020, 1, 2),
                provider=provider if kind == "third_party" else None,
                reason=f"{REASON}: {name}", acting_user=self.author, product=product))
        return {p.code: p for p in SecurityModel.objects.all()}

    def provider(self) -> ModelProvider:
        code, name, email = PROVIDER
        provider = ModelProvider.objects.filter(code=code).first()
        if provider is None or provider.name != name:
            provider = hub.provider_save(code=code, name=name, contact_email=email,
                                         reason=REASON, acting_user=self.author,
                                         provider=provider)
        return provider

    def programs(self, products: dict[str, SecurityModel]) -> None:
        classes = self.classes
        for code, (name, profile, percents) in ALLOCATIONS.items():
            if Program.objects.filter(code=code).exists():
                continue
            allocation = AssetAllocation.objects.filter(code=code).first()
            if allocation is None:
                allocation = self.publish(hub.allocation_propose(
                    code=code, name=name, risk_profile=profile, reason=REASON,
                    acting_user=self.author,
                    weights={classes[c].pk: Decimal(p) / 100 for c, p in percents.items()}
                )).allocation
            self.publish(hub.program_propose(
                code=code, name=name, allocation=allocation, reason=REASON,
                acting_user=self.author,
                products={classes[c].pk: products[ETF_PRODUCTS[c]] for c in percents}))
        for parent_code in MUNI_CHILDREN:
            code = f"{parent_code}-MUNI"
            if Program.objects.filter(code=code).exists():
                continue
            bonds = Decimal(ALLOCATIONS[parent_code][2][BOND_AGG]) / 100
            self.publish(hub.program_propose(
                code=code, name=f"{ALLOCATIONS[parent_code][0]}, municipal bonds",
                parent=Program.objects.get(code=parent_code),
                tilts={classes[BOND_MUNI].pk: bonds, classes[BOND_AGG].pk: -bonds},
                products={classes[BOND_MUNI].pk: products["MUNI_CORE"]},
                reason=f"{REASON}: tax-exempt bonds for high-bracket taxable accounts",
                acting_user=self.author))

    def reference(self, products: dict[str, SecurityModel]) -> None:
        for asset_class, codes in ALTERNATIVES.items():
            for code in codes:
                product = products.get(code)
                if product is None or product.asset_class_id != self.classes[asset_class].pk:
                    continue
                if not ApprovedAlternative.objects.filter(product=product).exists():
                    hub.approved_alternative_add(asset_class=self.classes[asset_class],
                                                 product=product, reason=REASON,
                                                 acting_user=self.author)
                    self.summary.alternatives += 1
        by_ticker = {s.ticker: s for s in Security.objects.filter(status="active")}
        for code, (name, tickers) in EQUIVALENCE_SETS.items():
            members = [by_ticker[t] for t in tickers if t in by_ticker]
            if len(members) >= 2 and not EquivalenceSet.objects.filter(code=code).exists():
                hub.equivalence_set_save(code=code, name=name, securities=members,
                                         reason=REASON, acting_user=self.author)
                self.summary.equivalence_sets += 1
        for name, profile, asset_class, change, low, high in LIMITS:
            if not CustomizationLimit.objects.filter(name=name).exists():
                hub.customization_limit_save(
                    name=name, risk_profile=profile, asset_class=self.classes[asset_class],
                    max_change=change, min_weight=low, max_weight=high, reason=REASON,
                    acting_user=self.author)
                self.summary.limits += 1

    def contracts(self) -> None:
        provider = self.provider()
        schedule = FeeSchedule.objects.filter(provider=provider).first()
        if schedule is None:
            schedule = hub.fee_schedule_save(
                provider=provider, code="NQA-STANDARD", name="Northfield standard pricing",
                method="marginal", tiers=FEE_TIERS, reason=REASON, acting_user=self.author)
        if not ModelSubscription.objects.filter(provider=provider).exists():
            start = date(timezone.localdate().year, 1, 2)
            subscription = hub.subscription_request(
                provider=provider, fee_schedule=schedule, requested_on=date(start.year - 1,
                                                                            12, 1),
                reason="Dividend sleeve for income-oriented clients", acting_user=self.author)
            hub.subscription_activate(subscription=subscription, start_date=start,
                                      reason="Contract signed", acting_user=self.author)

    def settings(self, acting_user: User) -> None:
        from accounts.models import FirmSettings

        if not FirmSettings.objects.exists():
            for code, name, per_trade in (("ZERO", "No commission", "0"),
                                          ("LEGACY", "Legacy brokerage", "4.95")):
                commission_schedule_save(code=code, name=name, per_trade=per_trade,
                                         reason=REASON, acting_user=acting_user)
            firm_settings_update(changes={"commission_schedule": "ZERO",
                                          "loss_harvesting_minimum": "500"},
                                 reason=REASON, acting_user=acting_user)

    def customizations(self, acting_user: User) -> None:
        vocabulary = Vocabulary()
        book = ModelBook.load(as_of=timezone.localdate())
        lists = set(RestrictionList.objects.values_list("code", flat=True))
        done = set(AccountSettings.objects.values_list("account_id", flat=True))
        for account in Account.objects.filter(status="open").order_by("account_number"):
            if account.pk in done:
                continue
            changes = _customization(account, lists)
            if not changes:
                continue
            what, values = changes
            try:
                account_settings_update(account=account, changes=values,
                                        reason=f"Client preference: {what}",
                                        acting_user=acting_user, vocabulary=vocabulary,
                                        book=book)
                self.summary.customized_accounts += 1
            except ValidationError as error:
                self.summary.refused_customizations.append(
                    f"{account.account_number}: {' '.join(error.messages)}")
        for household in Household.objects.order_by("code")[::25]:
            if not HouseholdSettings.objects.filter(household=household).exists():
                household_settings_update(household=household,
                                          changes={"tax_sensitivity": "high"},
                                          reason="Family in the top bracket",
                                          acting_user=acting_user)
        for entity in TaxEntity.objects.order_by("code")[::7]:
            if not hasattr(entity, "settings"):
                tax_entity_settings_update(tax_entity=entity, changes={
                    "state_short_term_rate": "9.3", "state_long_term_rate": "9.3"},
                    reason="California resident", acting_user=acting_user)


def _customization(account: Account, lists: set[str]) -> tuple[str, dict[str, Any]] | None:
    """A stable, varied choice per account (about a quarter of them customize something)."""
    bucket = int(hashlib.sha256(account.account_number.encode()).hexdigest(), 16) % 40
    equity_program = account.program_code in ("BAL60", "GROWTH80", "EQUITY100")
    if bucket == 0:
        return "no real estate (owns rental property)", {"excluded_asset_classes": [REAL_ESTATE]}
    if bucket == 1:
        return "mutual funds instead of ETFs", {"product_choices": {
            c: p for c, p in FUND_PRODUCTS.items()
            if c in ALLOCATIONS.get(account.program_code, ("", "", {}))[2]}}
    if bucket in (2, 3) and account.tax_status == "taxable":
        return "direct indexing for loss harvesting", {
            "product_choices": {LARGE: "LCAP_DIRECT"}, "tax_sensitivity": "high",
            "loss_harvesting_minimum": "1000"}
    if bucket == 4:
        return "quality dividend sleeve", {"product_choices": {LARGE: "LCAP_DIVIDEND"}}
    if bucket == 5 and equity_program:
        return "a little more mid cap", {"allocation_tilts": {MID: "+2", LARGE: "-2"}}
    if bucket == 6 and "ESG_FOSSIL" in lists:
        return "fossil-fuel free", {"restriction_lists": ["ESG_FOSSIL"]}
    if bucket == 7 and "ESG_TOBACCO" in lists:
        return "no tobacco", {"restriction_lists": ["ESG_TOBACCO"],
                              "tracking": "loose"}
    if bucket == 8:
        return "keeps a cash reserve", {"cash_to_keep": "$10,000"}
    if bucket == 9 and account.tax_status == "taxable":
        return "gain budget", {"annual_gain_budget": "15000", "tax_sensitivity": "maximum"}
    return None


def model_book_ensure(*, firm: Firm) -> ModelBookSummary:
    """Build the demo firm's model book, contracts and customizations (idempotent)."""
    summary = ModelBookSummary()
    with firm_context(firm):
        builder = _Builder(firm, summary)
        builder.asset_classes()
        products = builder.products()
        builder.programs(products)
        builder.reference(products)
        builder.contracts()
        overlay = User.objects.filter(
            memberships__firm=firm, memberships__roles__contains=[Role.OVERLAY_MANAGER]).first()
        acting = overlay or builder.author
        builder.settings(acting)
        builder.customizations(acting)
    return summary
