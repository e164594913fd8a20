from accounts.models.corporate_actions import CorporateActionExpectation
from accounts.models.grants import GrantEvent
from accounts.models.holdings import CashBalance, LotSet, TaxLot, Transaction
from accounts.models.holds import AccountHold, ReconciliationBreak
from accounts.models.households import Account, CustomField, Household, TaxEntity
from accounts.models.settings import (
    AccountSettings,
    CommissionSchedule,
    FirmSettings,
    HouseholdSettings,
    TaxEntitySettings,
)

__all__ = [
    "Account", "AccountHold", "AccountSettings", "CashBalance", "CommissionSchedule",
    "CorporateActionExpectation",
    "CustomField", "FirmSettings", "GrantEvent", "Household", "HouseholdSettings", "LotSet",
    "ReconciliationBreak", "TaxEntity", "TaxEntitySettings", "TaxLot", "Transaction",
]
