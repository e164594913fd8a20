"""Serializers for the tax views of an account: realized lots, adjusted lots, windows."""

from __future__ import annotations

from rest_framework import serializers


class RealizedLotSerializer(serializers.Serializer):
    sale_transaction_id = serializers.CharField()
    lot_id = serializers.CharField()
    security = serializers.CharField(help_text="ticker (or CUSIP)")
    acquired_date = serializers.DateField()
    holding_period_start = serializers.DateField(allow_null=True)
    sold_date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6)
    proceeds = serializers.DecimalField(max_digits=20, decimal_places=2)
    cost_basis = serializers.DecimalField(max_digits=20, decimal_places=2)
    gain = serializers.DecimalField(max_digits=20, decimal_places=2)
    term = serializers.ChoiceField(choices=["short", "long"])
    disallowed_loss = serializers.DecimalField(max_digits=20, decimal_places=2)
    recognized_gain = serializers.DecimalField(max_digits=20, decimal_places=2)


class AdjustedLotSerializer(serializers.Serializer):
    lot_id = serializers.CharField()
    part = serializers.IntegerField()
    security = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6)
    custodian_cost_basis = serializers.DecimalField(max_digits=20, decimal_places=2,
                                                    help_text="the custodian's basis")
    overlay_basis_adjustment = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="disallowed loss Rebal adds on top")
    adjusted_cost_basis = serializers.DecimalField(max_digits=20, decimal_places=2)
    acquired_date = serializers.DateField()
    holding_period_start = serializers.DateField(allow_null=True)
    long_term_from = serializers.DateField()


class WashSaleWindowSerializer(serializers.Serializer):
    security = serializers.CharField(help_text="ticker, or the identical group's code")
    buy_blocked_until = serializers.DateField(allow_null=True)
    loss_sale_blocked_until = serializers.DateField(allow_null=True)


class TaxViewSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    window_start = serializers.DateField()
    problems = serializers.DictField(child=serializers.CharField())
