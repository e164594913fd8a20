"""Reads of advisors' object grants (django-guardian) for the firm admin's pages."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from guardian.models import UserObjectPermission

from accounts.models import Account, GrantEvent, Household
from rebal.models import Membership


def _grant_count(model: Any, codename: str) -> Coalesce:
    """The number of the firm's `model` rows granted to the membership's user (a subquery)."""
    firm_keys = model.objects.annotate(key=Cast("pk", CharField())).values("key")
    counted = (UserObjectPermission.objects
               .filter(user=OuterRef("user_id"), permission__codename=codename,
                       content_type=ContentType.objects.get_for_model(model),
                       object_pk__in=firm_keys)
               .values("user").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def advisors_with_grant_counts() -> QuerySet[Membership]:
    """The firm's advisors, each with how many households and accounts are granted to them."""
    return (Membership.objects.filter(roles__contains=["advisor"])
            .select_related("user", "team")
            .annotate(household_count=_grant_count(Household, "view_household"),
                      account_count=_grant_count(Account, "view_account")))


def households_granted(advisor: Any) -> QuerySet[Household]:
    """The households granted to `advisor`, with their accounts counted and whether the
    accounts feed names the advisor on one of them (the feed re-grants those each night)."""
    return (Household.objects.filter(Household.assigned_to(advisor))
            .annotate(account_count=Count("accounts", distinct=True),
                      named_by_feed=Count("accounts", distinct=True, filter=Q(
                          accounts__advisor_email__iexact=advisor.email))))


def accounts_granted(advisor: Any) -> QuerySet[Account]:
    """The accounts granted to `advisor` one by one (besides those of granted households)."""
    granted = (UserObjectPermission.objects
               .filter(user=advisor, permission__codename="view_account",
                       content_type=ContentType.objects.get_for_model(Account))
               .values("object_pk"))
    return (Account.objects.annotate(key=Cast("pk", CharField())).filter(key__in=granted)
            .select_related("household"))


def grant_events(advisor: Any) -> QuerySet[GrantEvent]:
    return (GrantEvent.objects.filter(advisor=advisor)
            .select_related("household", "account", "acted_by").order_by("-at", "-pk"))
