"""Forms of the data manager's pages: upload a feed file, resolve an unknown security."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from dataops.models import AssetClass, FeedFile, Security


class FeedUploadForm(forms.Form):
    file = forms.FileField(label="Feed file",
                           help_text="Named <feed>_<YYYYMMDD>[_<seq>].csv or .csv.gz")


class FeedFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *((value, value.replace("_", " ").capitalize())
                                       for value in FeedFile.Status.values)],
        required=False)
    feed = forms.CharField(required=False, max_length=30)


class AssetClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})" if obj.name != obj.code else obj.code


class UnknownSecurityAddForm(forms.Form):
    """Make the unknown identifier a security of the master."""

    name = forms.CharField(max_length=200)
    security_type = forms.ChoiceField(label="Type", choices=Security.Type.choices)
    # Built without a firm; runs in the request's firm (the manager's predicate).
    asset_class = AssetClassChoiceField(queryset=AssetClass.objects.order_by("code"),
                                        empty_label="Choose an asset class")
    sector = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=500)


class UnknownSecurityMapForm(forms.Form):
    """The identifier belongs to a security the master already knows."""

    security = forms.CharField(label="Ticker or CUSIP of the security", max_length=20)
    reason = forms.CharField(max_length=500)

    def clean_security(self) -> Security:
        wanted = self.cleaned_data["security"].strip().upper()
        matches = list(Security.objects.filter(Q(ticker=wanted) | Q(cusip=wanted))
                       .exclude(status=Security.Status.PLACEHOLDER)[:2])
        if not matches:
            raise forms.ValidationError(f"No security of the master has ticker or CUSIP {wanted}.")
        if len(matches) > 1:
            raise forms.ValidationError(f"{wanted} names more than one security; use the CUSIP.")
        return matches[0]
