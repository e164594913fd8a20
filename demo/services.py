"""The demo firm: one person per role, households assigned to the advisor.

Later issues add the demo book built from public S&P 500 data and run the nightly cycle on it.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account, Household
from accounts.services import household_assign_advisor
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm, Role, User
from rebal.services import membership_grant, user_ensure

DEMO_PASSWORD = "rebal-demo-password"  # noqa: S105 - the demo's published sign-in
DEMO_HOUSEHOLDS = [
    ("HH-ALVAREZ", "Alvarez Family",
     [("10000001", "Alvarez Joint"), ("10000002", "Maria Alvarez IRA")]),
    ("HH-CHEN", "Chen Household", [("10000003", "Chen Family Trust")]),
    ("HH-OKAFOR", "Okafor Household", [("10000004", "Okafor Individual")]),
]


@transaction.atomic
def demo_firm_ensure(*, code: str = "DEMO") -> tuple[Firm, dict[str, User]]:
    with audit_context(system_job="demo_setup", reason="Demo firm set up"):
        firm, _ = Firm.objects.get_or_create(
            code=code, defaults={"name": "Demo Wealth Partners", "timezone": "America/New_York"})
        users: dict[str, User] = {}
        with firm_context(firm):
            for role in Role:
                email = f"{role.value.replace('_', '-')}@{code.lower()}.rebal.test"
                user = user_ensure(email=email, password=DEMO_PASSWORD,
                                   first_name=role.label.split()[0])
                membership_grant(user=user, roles=[role.value], acting_user=None,
                                 system_job="demo_setup")
                users[role.value] = user
            for hh_code, hh_name, accounts in DEMO_HOUSEHOLDS:
                household, _ = Household.objects.get_or_create(code=hh_code,
                                                               defaults={"name": hh_name})
                for number, name in accounts:
                    Account.objects.get_or_create(account_number=number,
                                                  defaults={"name": name, "household": household})
                if hh_code != "HH-OKAFOR":
                    household_assign_advisor(household=household, advisor=users[Role.ADVISOR],
                                             acting_user=None)
    return firm, users
