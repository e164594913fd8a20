"""The firm admin's object grants: which households and accounts each advisor may see, granted
and taken back with a reason."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Account, Household
from accounts.selectors_grants import (
    accounts_granted,
    advisors_with_grant_counts,
    grant_events,
    households_granted,
)
from accounts.services.grants import advisor_grant, advisor_revoke
from rebal.access import access_object
from rebal.listing import listing
from rebal.models import Membership, Team
from rebal.selectors import members_narrowed
from rebal.views.base import firm_page

ADVISOR_SORTS = {"email": "user__email", "name": "user__last_name", "team": "team__name",
                 "households": "household_count", "accounts": "account_count"}
HOUSEHOLD_SORTS = {"code": "code", "name": "name", "accounts": "account_count"}
ACCOUNT_SORTS = {"number": "account_number", "name": "name", "household": "household__name"}
EVENTS_SHOWN = 20


@firm_page("membership.view")
def grant_list(request: HttpRequest) -> HttpResponse:
    advisors = advisors_with_grant_counts()
    advisors, team, status = members_narrowed(advisors, request.GET)
    return render(request, "accounts/grant_list.html", {
        **listing(request, advisors, sorts=ADVISOR_SORTS,
                  search=("user__email", "user__first_name", "user__last_name")),
        "teams": Team.objects.order_by("name"), "team": team, "status": status})


@firm_page("membership.view")
def grant_member(request: HttpRequest, pk: int) -> HttpResponse:
    """One advisor's granted households or accounts (a tab each), grant and revoke forms, and
    the latest grant changes."""
    member = access_object(Membership, request.user, "membership.view", pk=pk)
    if request.method == "POST":
        member = access_object(Membership, request.user, "membership.manage", pk=pk)
        _grant_change(request, member)
        return redirect(request.get_full_path())
    advisor = member.user
    show = "accounts" if request.GET.get("show") == "accounts" else "households"
    if show == "accounts":
        rows = listing(request, accounts_granted(advisor), sorts=ACCOUNT_SORTS,
                       search=("account_number", "name"))
    else:
        rows = listing(request, households_granted(advisor), sorts=HOUSEHOLD_SORTS,
                       search=("code", "name"))
    return render(request, "accounts/grant_member.html", {
        **rows, "member": member, "advisor": advisor, "show": show,
        "events": grant_events(advisor)[:EVENTS_SHOWN]})


def _grant_change(request: HttpRequest, member: Membership) -> None:
    """Grant (a household by code, an account by number) or revoke (by id); refusals in the
    service's words."""
    post = request.POST
    reason = post.get("reason", "")
    advisor = member.user
    try:
        if post.get("revoke_household") or post.get("revoke_account"):
            household = account = None
            if post.get("revoke_household"):
                household = access_object(Household, request.user, "household.view",
                                          pk=post["revoke_household"])
            else:
                account = access_object(Account, request.user, "account.view",
                                        pk=post["revoke_account"])
            advisor_revoke(advisor=advisor, household=household, account=account,
                           acting_user=request.user, reason=reason)
            messages.success(request, f"{household or account} taken back from {advisor.email}.")
            return
        code = post.get("code", "").strip()
        if post.get("kind") == "account":
            account = Account.objects.filter(account_number=code).first()
            if account is None:
                raise ValidationError(f"No account numbered {code!r} in the firm.")
            advisor_grant(advisor=advisor, account=account, acting_user=request.user,
                          reason=reason)
            messages.success(request, f"{account} granted to {advisor.email}.")
        else:
            household = Household.objects.filter(code=code).first()
            if household is None:
                raise ValidationError(f"No household with the code {code!r} in the firm.")
            advisor_grant(advisor=advisor, household=household, acting_user=request.user,
                          reason=reason)
            messages.success(request, f"{household} granted to {advisor.email}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
