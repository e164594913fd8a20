"""The fields a filter may name: account fields, custom fields, holdings, holds and the latest
analysis, each with its type (which decides the operators it accepts) and where it lives.

Fields that read the latest analysis are marked, because settings rules may not use them:
settings decide what the optimizer does, so they cannot depend on what it did.
"""

from __future__ import annotations

from dataclasses import dataclass

NUMBER, TEXT, CHOICE, BOOLEAN, DATE, SECURITIES = (
    "number", "text", "choice", "boolean", "date", "securities")

# Where a field's value is read: the account row, a custom field, the current holdings (the
# newest lot set and cash on or before the filter's date, valued at the latest prices), the
# account's open holds, or the account's latest analysis (workflow.LatestAnalysis, typed
# columns kept by a trigger; an account whose latest analysis is after the date has none).
ACCOUNT, CUSTOM, HOLDINGS, HOLDS, ANALYSIS = "account", "custom", "holdings", "holds", "analysis"

OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "between", "is_empty"),
    TEXT: ("eq", "ne", "in", "not_in", "contains", "starts_with", "is_empty"),
    CHOICE: ("eq", "ne", "in", "not_in"),
    BOOLEAN: ("is",),
    DATE: ("eq", "before", "after", "between", "is_empty"),
    SECURITIES: ("any_of", "none_of"),
}

OPERATOR_LABELS = {
    "eq": "is", "ne": "is not", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
    "between": "between", "is_empty": "is empty", "in": "is one of", "not_in": "is none of",
    "contains": "contains", "starts_with": "starts with", "is": "is", "before": "before",
    "after": "after", "any_of": "any of", "none_of": "none of",
}


@dataclass(frozen=True)
class FieldSpec:
    """A field of the filter language."""

    name: str
    label: str
    kind: str
    source: str
    column: str = ""  # the account column, or the analysis metric's key
    choices: tuple[str, ...] = ()

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]

    @property
    def reads_analysis(self) -> bool:
        return self.source == ANALYSIS


def _choices(*values: str) -> tuple[str, ...]:
    return values


STATUS = _choices("open", "closed", "suspended", "pending_close")
REGISTRATION = _choices("individual", "joint", "ira", "roth_ira", "trust", "corporate", "other")
TAX_STATUS = _choices("taxable", "tax_deferred", "tax_exempt")
HOLD_KINDS = _choices("data_error", "suspension", "compliance")

BUILT_IN: tuple[FieldSpec, ...] = (
    FieldSpec("account_number", "Account number", TEXT, ACCOUNT, "account_number"),
    FieldSpec("name", "Account name", TEXT, ACCOUNT, "name"),
    FieldSpec("status", "Status", CHOICE, ACCOUNT, "status", STATUS),
    FieldSpec("registration", "Registration", CHOICE, ACCOUNT, "registration", REGISTRATION),
    FieldSpec("tax_status", "Tax status", CHOICE, ACCOUNT, "tax_status", TAX_STATUS),
    FieldSpec("discretionary", "Discretionary", BOOLEAN, ACCOUNT, "discretionary"),
    FieldSpec("approved_for_trading", "Approved for trading", BOOLEAN, ACCOUNT,
              "approved_for_trading"),
    FieldSpec("program", "Program code", TEXT, ACCOUNT, "program_code"),
    FieldSpec("household", "Household code", TEXT, ACCOUNT, "household__code"),
    FieldSpec("household_name", "Household name", TEXT, ACCOUNT, "household__name"),
    FieldSpec("tax_entity", "Tax entity code", TEXT, ACCOUNT, "tax_entity__code"),
    FieldSpec("advisor_email", "Advisor email (accounts feed)", TEXT, ACCOUNT, "advisor_email"),
    # The people the household or account is granted to (django-guardian), by email.
    FieldSpec("advisor", "Assigned advisor (email)", TEXT, ACCOUNT, "advisor"),
    FieldSpec("opened_date", "Opened", DATE, ACCOUNT, "opened_date"),
    FieldSpec("holds", "Holds (tickers)", SECURITIES, HOLDINGS, "holds"),
    FieldSpec("holdings_value", "Holdings value ($, lots at latest prices + cash)", NUMBER,
              HOLDINGS, "holdings_value"),
    FieldSpec("largest_position_percent", "Largest position (% of holdings value)", NUMBER,
              HOLDINGS, "largest_position_percent"),
    FieldSpec("pending_withdrawal", "Pending withdrawal ($)", NUMBER, HOLDINGS,
              "pending_withdrawal"),
    FieldSpec("pending_withdrawal_percent", "Pending withdrawal (% of holdings value)", NUMBER,
              HOLDINGS, "pending_withdrawal_percent"),
    FieldSpec("has_hold", "Has an open hold", BOOLEAN, HOLDS, "any"),
    FieldSpec("hold_kind", "Open hold of kind", CHOICE, HOLDS, "kind", HOLD_KINDS),
    FieldSpec("market_value", "Market value ($, latest analysis)", NUMBER, ANALYSIS,
              "market_value"),
    FieldSpec("drift", "Largest asset-class drift (%, before trades)", NUMBER, ANALYSIS,
              "drift"),
    FieldSpec("drift_after", "Largest asset-class drift (%, after trades)", NUMBER, ANALYSIS,
              "drift_after"),
    FieldSpec("tracking_error", "Tracking error (%, before trades)", NUMBER, ANALYSIS,
              "tracking_error"),
    FieldSpec("tracking_error_after", "Tracking error (%, after trades)", NUMBER, ANALYSIS,
              "tracking_error_after"),
    FieldSpec("turnover", "Turnover (%)", NUMBER, ANALYSIS, "turnover"),
    FieldSpec("estimated_tax", "Estimated tax ($)", NUMBER, ANALYSIS, "estimated_tax"),
    FieldSpec("realized_gains", "Net realized gains ($)", NUMBER, ANALYSIS, "realized_gains"),
    FieldSpec("losses_harvested", "Losses harvested ($)", NUMBER, ANALYSIS, "losses_harvested"),
    FieldSpec("cost_benefit_score", "Cost/benefit score", NUMBER, ANALYSIS, "cost_benefit_score"),
    FieldSpec("analysis_status", "Analysis status", TEXT, ANALYSIS, "status"),
    FieldSpec("analysis_date", "Analysis date", DATE, ANALYSIS, "trade_date"),
)
BUILT_IN_FIELDS = {spec.name: spec for spec in BUILT_IN}
CUSTOM_PREFIX = "custom."
# Fractions in the analysis that people read as percentages.
PERCENT_METRICS = frozenset({"drift", "drift_after", "tracking_error", "tracking_error_after",
                             "turnover"})
