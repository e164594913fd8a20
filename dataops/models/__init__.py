from dataops.models.corporate_actions import CorporateAction, CorporateActionApplication
from dataops.models.feeds import FeedFile, FeedPolicy, FeedSchedule, QuarantinedRow
from dataops.models.market import Price, RiskCovariance, RiskExposure, RiskSpecific
from dataops.models.reference import (
    AssetClass,
    IdenticalGroup,
    Security,
    SecurityIdentifier,
    UnknownSecurity,
)
from dataops.models.restrictions import RestrictionEntry, RestrictionList

__all__ = [
    "AssetClass", "CorporateAction", "CorporateActionApplication", "FeedFile", "FeedPolicy",
    "FeedSchedule", "IdenticalGroup",
    "Price", "QuarantinedRow", "RestrictionEntry", "RestrictionList", "RiskCovariance",
    "RiskExposure", "RiskSpecific", "Security", "SecurityIdentifier", "UnknownSecurity",
]
