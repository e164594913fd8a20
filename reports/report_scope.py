"""Who a firm-wide report is about: every account the person may see, or one advisor's, or one
team's (an account's team is its advisor's: rebal.selectors.team_by_email)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.db.models.functions import Lower

from rebal.models import Team
from rebal.selectors import team_by_email


class ScopeForm(forms.Form):
    """An advisor or a team to narrow a firm-wide report to."""

    advisor = forms.CharField(label="Advisor (email)", required=False)
    team = forms.ChoiceField(label="Team", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Every team"), *(
            (name, name) for name in Team.objects.values_list("name", flat=True))]

    def narrowed(self, accounts: QuerySet, firm: Any) -> tuple[QuerySet, str]:
        """`accounts` narrowed to the advisor or team asked for, and whom the report is of
        ("" for everyone)."""
        data = self.cleaned_data if self.is_valid() else {}
        advisor, team = data.get("advisor", ""), data.get("team", "")
        if advisor:
            accounts = accounts.filter(advisor_email__iexact=advisor)
        if team:
            emails = [email for email, name in team_by_email(firm).items() if name == team]
            accounts = accounts.annotate(advisor_lower=Lower("advisor_email")).filter(
                advisor_lower__in=emails)
        return accounts, advisor or (f"team {team}" if team else "")
