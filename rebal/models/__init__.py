from rebal.models.alert import Alert, Severity
from rebal.models.api_token import APIToken, Scope
from rebal.models.base import FirmOwnedModel
from rebal.models.firm import Firm, User
from rebal.models.membership import Membership, Role
from rebal.models.sign_on import SignOnProvider
from rebal.models.team import Team

__all__ = [
    "APIToken", "Alert", "Firm", "FirmOwnedModel", "Membership", "Role", "Scope", "Severity",
    "SignOnProvider", "Team", "User",
]
