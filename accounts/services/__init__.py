"""Writes of the accounts room."""

from accounts.services.advisors import household_assign_advisor, household_unassign_advisor

__all__ = ["household_assign_advisor", "household_unassign_advisor"]
