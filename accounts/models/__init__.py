from accounts.models.holdings import CashBalance, LotSet, TaxLot, Transaction
from accounts.models.holds import AccountHold, ReconciliationBreak
from accounts.models.households import Account, CustomField, Household, TaxEntity

__all__ = [
    "Account", "AccountHold", "CashBalance", "CustomField", "Household", "LotSet",
    "ReconciliationBreak", "TaxEntity", "TaxLot", "Transaction",
]
