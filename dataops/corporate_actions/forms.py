"""The data manager's forms for a corporate action: enter one, correct one, cancel one."""

from __future__ import annotations

from django import forms

from dataops.models import CorporateAction

TERMS = ["type", "effective_date", "pay_date", "tax_treatment", "old_cusip", "old_ticker",
         "new_cusip", "new_ticker", "new_name", "ratio_from", "ratio_to", "cash_per_share",
         "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price", "description"]


class CorporateActionTermsForm(forms.ModelForm):
    """The terms, as the feed's columns; every change needs a reason."""

    tax_treatment = forms.ChoiceField(
        required=False, choices=[("", "—"), ("reorganization", "Tax-free reorganization"),
                                 ("taxable", "Taxable")])
    reason = forms.CharField(max_length=500, help_text="Why, for the audit history.")

    class Meta:
        model = CorporateAction
        fields = TERMS
        widgets = {"effective_date": forms.DateInput(attrs={"type": "date"}),
                   "pay_date": forms.DateInput(attrs={"type": "date"}),
                   "description": forms.Textarea(attrs={"rows": 2})}
        labels = {"effective_date": "Effective (ex-) date",
                  "ratio_to": "New shares (ratio_to)",
                  "ratio_from": "per old shares (ratio_from)",
                  "basis_allocation_pct": "Basis moving to the new security (%)"}


class CorporateActionEnterForm(CorporateActionTermsForm):
    action_id = forms.CharField(max_length=64, label="Action id")

    class Meta(CorporateActionTermsForm.Meta):
        fields = ["action_id", *TERMS]


class CorporateActionCancelForm(forms.Form):
    reason = forms.CharField(max_length=500)
