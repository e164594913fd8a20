from __future__ import annotations

from typing import Any

import django_filters
from rest_framework.exceptions import ValidationError

from accounts.models import Account, CustomField


class AccountFilterSet(django_filters.FilterSet):
    """Account fields, plus any ancillary field as `x_<name>=value` (typed by its definition)."""

    household = django_filters.CharFilter(field_name="household__code")
    program = django_filters.CharFilter(field_name="program_code")
    tax_entity = django_filters.CharFilter(field_name="tax_entity__code")

    class Meta:
        model = Account
        fields = ["status", "household", "account_number", "registration", "tax_status",
                  "discretionary", "approved_for_trading", "program", "tax_entity"]

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        wanted = {key[2:]: value for key, value in self.data.items() if key.startswith("x_")}
        if not wanted:
            return queryset
        fields = {f.name: f for f in CustomField.objects.filter(name__in=list(wanted))}
        unknown = sorted(set(wanted) - set(fields))
        if unknown:
            raise ValidationError({f"x_{name}": "no such custom field" for name in unknown})
        from accounts.loaders.accounts_feed import typed_value

        for name, raw in wanted.items():
            try:
                value = typed_value(fields[name], raw)
            except ValueError as error:
                raise ValidationError({f"x_{name}": str(error)}) from error
            queryset = queryset.filter(**{f"custom_fields__{name}": value})
        return queryset
