"""Filters of the records, shared by the API and the compliance pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from optimizer.models import Analysis
from reports.selectors import records_filter


class RecordFilterSet(django_filters.FilterSet):
    """?account=&from=&to=&security=&client_order_id=&order= (every one optional)."""

    account = django_filters.CharFilter(method="by_all", label="Account number")
    date_from = django_filters.DateFilter(method="by_all", label="From (trade date)")
    date_to = django_filters.DateFilter(method="by_all", label="To (trade date)")
    security = django_filters.CharFilter(method="by_all", label="Security (ticker, CUSIP or id)",
                                         max_length=40)
    client_order_id = django_filters.CharFilter(method="by_all", label="Client order id",
                                                max_length=40)
    order = django_filters.NumberFilter(method="by_all", label="Order id", min_value=1,
                                        max_value=2**63 - 1)

    class Meta:
        model = Analysis
        fields: list[str] = []

    def by_all(self, queryset: QuerySet[Analysis], name: str, value: Any) -> QuerySet[Analysis]:
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset: QuerySet[Analysis]) -> QuerySet[Analysis]:
        data = self.form.cleaned_data
        order = data.get("order")
        return records_filter(queryset, account=data.get("account") or "",
                              start=data.get("from"), end=data.get("to"),
                              security=data.get("security") or "",
                              client_order_id=data.get("client_order_id") or "",
                              order=int(order) if order is not None else None)


# The query names a reader expects (`from`, `to`) are Python keywords: renamed here.
RecordFilterSet.base_filters["from"] = RecordFilterSet.base_filters.pop("date_from")
RecordFilterSet.base_filters["to"] = RecordFilterSet.base_filters.pop("date_to")
