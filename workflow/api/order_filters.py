"""Filters of the orders list: the OMS pulls `?status=released`."""

from __future__ import annotations

import django_filters

from workflow.models import Order, OrderStatus


class OrderFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    side = django_filters.ChoiceFilter(choices=[("buy", "buy"), ("sell", "sell")])
    batch = django_filters.NumberFilter(field_name="batch_id")
    account_number = django_filters.CharFilter(field_name="account__account_number")
    # A date, not a time: offsets PostgreSQL cannot take never reach it.
    released_on_or_after = django_filters.DateFilter(field_name="released_at",
                                                     lookup_expr="date__gte")

    class Meta:
        model = Order
        fields = ["status", "side", "batch", "account_number", "released_on_or_after"]
