"""The demo firm: one person per role, and the feeds it expects each business day.

Its clients come from the demo book (`make_demo_feeds`, loaded by `./run demo`): the accounts
feed names the firm's advisor, advisor@demo.rebal.test, for about a fifth of the households, and
loading it assigns them to that user.
"""

from __future__ import annotations

from datetime import time

from django.db import transaction

from dataops.models import FeedSchedule
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Firm, Role, User
from rebal.services import membership_grant, user_ensure

DEMO_PASSWORD = "rebal-demo-password"  # noqa: S105 - the demo's published sign-in
# The custodian's and the firm's nightly files, each due by the cutoff (the firm's time zone).
DEMO_FEED_SCHEDULES = {feed: time(6, 0)
                       for feed in ("tax_lots", "cash", "prices", "accounts", "transactions")}


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
            for feed, cutoff in DEMO_FEED_SCHEDULES.items():
                FeedSchedule.objects.get_or_create(feed=feed, defaults={"cutoff": cutoff})
    return firm, users
