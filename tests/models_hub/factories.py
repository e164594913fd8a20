"""A small, exact model book for tests, published the way the committee publishes one.

`build_model_book(personas)` gives firm A (or B) an asset-class tree, a few funds and stocks,
ETF, mutual-fund and direct-index products, a Balanced and a Conservative allocation, programs
BAL60 and CONS30 on ETFs, the funds as approved alternatives, an S&P 500 equivalence set, and
two committee members (`ipc`, `ipc2`) — every structure proposed by one and approved by the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dataops.models import AssetClass, Security
from models_hub.models import ModelChange, Program, SecurityModel
from models_hub.services import (
    allocation_propose,
    approved_alternative_add,
    equivalence_set_save,
    model_change_approve,
    product_propose,
    program_propose,
)
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import membership_grant, user_ensure
from tests.data_factories import security

TREE = [("EQ", "Equity", None), ("EQ.US", "US Equity", "EQ"),
        ("EQ.US.LARGE", "US Large Cap", "EQ.US"), ("EQ.US.MID", "US Mid Cap", "EQ.US"),
        ("EQ.US.SMALL", "US Small Cap", "EQ.US"), ("FI", "Fixed Income", None),
        ("FI.US.AGG", "US Aggregate Bond", "FI"), ("RE.US", "US Real Estate", None),
        ("CASH", "Cash", None)]
FUNDS = {  # ticker: (asset class, type)
    "IVV": ("EQ.US.LARGE", "etf"), "VOO": ("EQ.US.LARGE", "etf"), "SPY": ("EQ.US.LARGE", "etf"),
    "VFIAX": ("EQ.US.LARGE", "mutual_fund"), "IJH": ("EQ.US.MID", "etf"),
    "VIMAX": ("EQ.US.MID", "mutual_fund"), "IJR": ("EQ.US.SMALL", "etf"),
    "VSMAX": ("EQ.US.SMALL", "mutual_fund"), "AGG": ("FI.US.AGG", "etf"),
    "VBTLX": ("FI.US.AGG", "mutual_fund"), "VNQ": ("RE.US", "etf"),
    "VGSLX": ("RE.US", "mutual_fund"), "VMFXX": ("CASH", "cash_equivalent"),
    "AAPL": ("EQ.US.LARGE", "equity"), "MSFT": ("EQ.US.LARGE", "equity"),
}
# product code: (asset class, kind, {ticker: weight})
PRODUCTS = {
    "LCAP_ETF": ("EQ.US.LARGE", "etf", {"IVV": "1"}),
    "LCAP_FUND": ("EQ.US.LARGE", "mutual_fund", {"VFIAX": "1"}),
    "LCAP_DIRECT": ("EQ.US.LARGE", "direct_index", {"AAPL": "0.6", "MSFT": "0.4"}),
    "MCAP_ETF": ("EQ.US.MID", "etf", {"IJH": "1"}),
    "MCAP_FUND": ("EQ.US.MID", "mutual_fund", {"VIMAX": "1"}),
    "SCAP_ETF": ("EQ.US.SMALL", "etf", {"IJR": "1"}),
    "SCAP_FUND": ("EQ.US.SMALL", "mutual_fund", {"VSMAX": "1"}),
    "BOND_ETF": ("FI.US.AGG", "etf", {"AGG": "1"}),
    "BOND_FUND": ("FI.US.AGG", "mutual_fund", {"VBTLX": "1"}),
    "REIT_ETF": ("RE.US", "etf", {"VNQ": "1"}),
    "REIT_FUND": ("RE.US", "mutual_fund", {"VGSLX": "1"}),
    "CASH_MMF": ("CASH", "etf", {"VMFXX": "1"}),
}
ALLOCATIONS = {
    "BAL60": ("Balanced 60/40", "moderate", {
        "EQ.US.LARGE": "0.30", "EQ.US.MID": "0.10", "EQ.US.SMALL": "0.05",
        "FI.US.AGG": "0.40", "RE.US": "0.10", "CASH": "0.05"}),
    "CONS30": ("Conservative 30/70", "conservative", {
        "EQ.US.LARGE": "0.20", "EQ.US.MID": "0.05", "EQ.US.SMALL": "0.05",
        "FI.US.AGG": "0.60", "RE.US": "0.05", "CASH": "0.05"}),
}
ETF_CHOICE = {"EQ.US.LARGE": "LCAP_ETF", "EQ.US.MID": "MCAP_ETF", "EQ.US.SMALL": "SCAP_ETF",
              "FI.US.AGG": "BOND_ETF", "RE.US": "REIT_ETF", "CASH": "CASH_MMF"}
PRODUCTS_FROM = date(2026, 1, 2)


@dataclass
class ModelBookRows:
    personas: Any
    ipc: Any
    ipc2: Any
    classes: dict[str, AssetClass] = field(default_factory=dict)
    securities: dict[str, Security] = field(default_factory=dict)
    products: dict[str, SecurityModel] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    allocations: dict[str, Any] = field(default_factory=dict)
    equivalence_set: Any = None

    def publish(self, change: ModelChange, reason: str = "second look: fine") -> ModelChange:
        return model_change_approve(change=change, reason=reason, acting_user=self.ipc2)

    def weights(self, by_code: dict[str, str]) -> dict[int, Decimal]:
        return {self.classes[code].pk: Decimal(w) for code, w in by_code.items()}

    def refresh(self) -> None:
        for key, program in self.programs.items():
            self.programs[key] = Program.objects.get(pk=program.pk)
        for key, allocation in self.allocations.items():
            self.allocations[key] = type(allocation).objects.get(pk=allocation.pk)


def committee(personas: Any) -> tuple[Any, Any]:
    code = personas.firm.code.lower()
    members = []
    with audit_context(system_job="tests"), firm_context(personas.firm):
        for name in ("ipc", "ipc2"):
            user = user_ensure(email=f"{name}@{code}.test", password="correct-horse-9")
            membership_grant(user=user, roles=[Role.IPC], acting_user=None, system_job="tests")
            members.append(user)
    return members[0], members[1]


def build_model_book(personas: Any) -> ModelBookRows:
    """The book of the module docstring, in firm `personas.firm` (its own firm context)."""
    ipc, ipc2 = committee(personas)
    rows = ModelBookRows(personas=personas, ipc=ipc, ipc2=ipc2)
    with firm_context(personas.firm):
        with audit_context(system_job="tests", reason="reference data"):
            for code, name, parent in TREE:
                rows.classes[code] = AssetClass.objects.create(
                    code=code, name=name, parent=rows.classes.get(parent) if parent else None)
            for ticker, (asset_class, kind) in FUNDS.items():
                made = security(ticker=ticker, name=f"{ticker} fund")
                made.asset_class, made.security_type = rows.classes[asset_class], kind
                made.save()
                rows.securities[ticker] = made
        for code, (asset_class, kind, weights) in PRODUCTS.items():
            change = product_propose(
                code=code, name=code.replace("_", " ").title(),
                asset_class=rows.classes[asset_class], kind=kind,
                weights={rows.securities[t].pk: w for t, w in weights.items()},
                effective_date=PRODUCTS_FROM, reason="initial product", acting_user=ipc)
            rows.products[code] = rows.publish(change).product
        for code, (name, profile, weights) in ALLOCATIONS.items():
            change = allocation_propose(code=code, name=name, risk_profile=profile,
                                        weights=rows.weights(weights), reason="initial",
                                        acting_user=ipc)
            rows.allocations[code] = rows.publish(change).allocation
            change = program_propose(
                code=code, name=name, allocation=rows.allocations[code],
                products={rows.classes[ac].pk: rows.products[p] for ac, p in ETF_CHOICE.items()},
                reason="initial program", acting_user=ipc)
            rows.programs[code] = rows.publish(change).program
        for code in ("LCAP_FUND", "LCAP_DIRECT", "MCAP_FUND", "SCAP_FUND", "BOND_FUND",
                     "REIT_FUND"):
            product = rows.products[code]
            approved_alternative_add(asset_class=product.asset_class, product=product,
                                     reason="committee approved", acting_user=ipc)
        rows.equivalence_set = equivalence_set_save(
            code="SP500", name="S&P 500 trackers",
            securities=[rows.securities[t] for t in ("IVV", "VOO", "SPY")],
            reason="same index", acting_user=ipc)
    return rows


@dataclass(frozen=True)
class HubRows:
    """One of each model-book, model-hub and settings object, written directly (no
    publication), marked with the firm's code: what the isolation harness attacks."""

    allocation: Any
    product: Any
    program: Any
    change: Any
    alternative: Any
    equivalence_set: Any
    limit: Any
    provider: Any
    fee_schedule: Any
    subscription: Any
    accrual: Any
    statement: Any
    firm_settings: Any
    commission_schedule: Any


def hub_rows(personas: Any) -> HubRows:
    from accounts.models import CommissionSchedule, FirmSettings, HouseholdSettings, TaxEntity
    from models_hub.models import (
        AllocationWeight,
        ApprovedAlternative,
        AssetAllocation,
        BillingStatement,
        CustomizationLimit,
        EquivalenceMember,
        EquivalenceSet,
        FeeAccrual,
        FeeSchedule,
        FeeTier,
        ModelProvider,
        ModelSubscription,
        ProgramProduct,
    )

    code = personas.firm.code
    with firm_context(personas.firm), audit_context(system_job="tests"):
        large = AssetClass.objects.create(code="EQ.US.LARGE", name=f"{code} Large")
        ivv = security(ticker=f"I{code}"[:8])
        voo = security(ticker=f"V{code}"[:8])
        product = SecurityModel.objects.create(code=f"{code}_ETF", asset_class=large,
                                               kind="etf")
        other = SecurityModel.objects.create(code=f"{code}_FUND", asset_class=large,
                                             kind="mutual_fund")
        allocation = AssetAllocation.objects.create(code=f"{code}_ALLOC", name=f"{code} alloc",
                                                    risk_profile="moderate")
        AllocationWeight.objects.create(allocation=allocation, asset_class=large,
                                        weight=Decimal(1))
        program = Program.objects.create(code=f"{code}_PROG", name=f"{code} program",
                                         allocation=allocation)
        ProgramProduct.objects.create(program=program, asset_class=large, product=product)
        user = personas.admin
        change = ModelChange.objects.create(kind="allocation", code=allocation.code,
                                            allocation=allocation, proposed={},
                                            summary=f"{code} draft", reason="x", author=user)
        alternative = ApprovedAlternative.objects.create(asset_class=large, product=other)
        equivalence = EquivalenceSet.objects.create(code=f"{code}_SET")
        for member in (ivv, voo):
            EquivalenceMember.objects.create(equivalence_set=equivalence, security=member)
        limit = CustomizationLimit.objects.create(name=f"{code} limit", asset_class=large,
                                                  max_change=Decimal("0.1"))
        provider = ModelProvider.objects.create(code=f"{code}_PROV", name=f"{code} provider")
        schedule = FeeSchedule.objects.create(provider=provider, code=f"{code}_FEES")
        FeeTier.objects.create(schedule=schedule, assets_from=0, annual_bps=Decimal(20))
        subscription = ModelSubscription.objects.create(
            provider=provider, fee_schedule=schedule, status="active",
            requested_on=date(2026, 10, 1), start_date=date(2026, 10, 1))
        statement = BillingStatement.objects.create(
            provider=provider, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
            total=Decimal("5.48"), accrual_days=1)
        accrual = FeeAccrual.objects.create(
            subscription=subscription, accrual_date=date(2026, 10, 1),
            market_value=Decimal(1_000_000), account_count=1, by_model={},
            annual_fee=Decimal(2000), amount=Decimal("5.48"), statement=statement)
        firm_settings = FirmSettings.objects.create(values={"tracking": "tight"})
        schedule_b = CommissionSchedule.objects.create(code=f"{code}_B", name=f"{code} B")
        HouseholdSettings.objects.create(household=personas.household,
                                         values={"tax_sensitivity": "high"})
        account = personas.account
        account.tax_entity = TaxEntity.objects.create(code=f"{code}-TE")
        account.save()
    return HubRows(allocation, product, program, change, alternative, equivalence, limit,
                   provider, schedule, subscription, accrual, statement, firm_settings,
                   schedule_b)
