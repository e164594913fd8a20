"""What the model book's endpoints show and accept (codes and tickers, never raw ids)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from dataops.models import AssetClass, Security
from models_hub.models import (
    ApprovedAlternative,
    AssetAllocation,
    BillingStatement,
    CustomizationLimit,
    EquivalenceSet,
    FeeAccrual,
    FeeSchedule,
    ModelChange,
    ModelProvider,
    ModelSubscription,
    Program,
    RiskProfile,
    SecurityModel,
    SecurityModelVersion,
)


def _asset_classes() -> Any:
    return AssetClass.objects.all()


class DecisionSerializer(serializers.Serializer):
    """An approval, rejection or withdrawal: the reason is recorded in the history."""

    reason = serializers.CharField(help_text="Why: recorded in the history.")


class AllocationSerializer(serializers.ModelSerializer):
    weights = serializers.SerializerMethodField()

    class Meta:
        model = AssetAllocation
        fields = ["id", "code", "name", "risk_profile", "description", "revision", "weights"]
        read_only_fields = fields

    def get_weights(self, allocation: AssetAllocation) -> dict[str, str]:
        return {w.asset_class.code: str(w.weight) for w in
                allocation.weights.select_related("asset_class").order_by("asset_class__code")}


class ProductSerializer(serializers.ModelSerializer):
    asset_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)
    current_weights = serializers.SerializerMethodField()

    class Meta:
        model = SecurityModel
        fields = ["id", "code", "name", "kind", "asset_class", "provider", "revision",
                  "current_weights"]
        read_only_fields = fields

    def get_current_weights(self, product: SecurityModel) -> dict[str, Any] | None:
        version = (SecurityModelVersion.objects.filter(
            model=product, as_of_date__lte=timezone.localdate())
            .order_by("-as_of_date", "-pk").first())
        if version is None:
            return None
        return {"as_of_date": version.as_of_date.isoformat(), "version_id": version.pk,
                "weights": {w.security.ticker or w.security.cusip: str(w.weight) for w in
                            version.weights.select_related("security").order_by("-weight")}}


class ProgramSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    allocation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    products = serializers.SerializerMethodField()
    excluded_asset_classes = serializers.SerializerMethodField()
    tilts = serializers.SerializerMethodField()

    class Meta:
        model = Program
        fields = ["id", "code", "name", "description", "parent", "allocation", "products",
                  "excluded_asset_classes", "tilts", "revision"]
        read_only_fields = fields

    def get_products(self, program: Program) -> dict[str, str]:
        return {p.asset_class.code: p.product.code for p in
                program.products.select_related("asset_class", "product")}

    def get_excluded_asset_classes(self, program: Program) -> list[str]:
        return sorted(AssetClass.objects.filter(pk__in=program.excluded_asset_classes)
                      .values_list("code", flat=True))

    def get_tilts(self, program: Program) -> dict[str, str]:
        codes = dict(AssetClass.objects.filter(pk__in=[int(k) for k in program.tilts])
                     .values_list("pk", "code"))
        return {codes.get(int(k), k): v for k, v in program.tilts.items()}


class ModelChangeSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="allocation, product or program")
    author = serializers.SlugRelatedField(slug_field="email", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = ModelChange
        fields = ["id", "kind", "status", "code", "allocation", "product", "program",
                  "base_revision", "summary", "reason", "author", "created_at", "decided_by",
                  "decided_at", "decision_reason", "proposed", "impact"]
        read_only_fields = fields


class ModelChangeCreateSerializer(serializers.Serializer):
    """A proposal. `proposal` in codes: an allocation {code, name, risk_profile, weights:
    {asset class: fraction}}; a product {code, name, asset_class, kind, weights: {ticker:
    fraction}, effective_date, provider}; a program {code, name, allocation | parent,
    products: {asset class: product}, excluded: [asset class], tilts: {asset class: fraction}}.
    `target`: the id of the structure changed (omit for a new one)."""

    kind = serializers.ChoiceField(choices=ModelChange.Kind.choices)
    target = serializers.IntegerField(required=False, allow_null=True)
    proposal = serializers.DictField()
    reason = serializers.CharField()


class ApprovedAlternativeSerializer(serializers.ModelSerializer):
    asset_class = serializers.SlugRelatedField(slug_field="code", queryset=_asset_classes())
    product = serializers.SlugRelatedField(slug_field="code",
                                           queryset=SecurityModel.objects.all())
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = ApprovedAlternative
        fields = ["id", "asset_class", "product", "note", "reason"]
        read_only_fields = ["id"]


class EquivalenceSetSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = EquivalenceSet
        fields = ["id", "code", "name", "members"]
        read_only_fields = fields

    def get_members(self, equivalence_set: EquivalenceSet) -> list[str]:
        return sorted(m.security.ticker or m.security.cusip for m in
                      equivalence_set.members.select_related("security"))


class EquivalenceSetWriteSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(required=False, allow_blank=True, default="")
    members = serializers.ListField(child=serializers.CharField(),
                                    help_text="Tickers (or CUSIPs) of the member securities.")
    reason = serializers.CharField()

    def validate_members(self, members: list[str]) -> list[Security]:
        found = {}
        for name in members:
            security = (Security.objects.filter(ticker=name).first()
                        or Security.objects.filter(cusip=name).first())
            if security is None:
                raise serializers.ValidationError(f"{name!r} is not in the security master")
            found[security.pk] = security
        return list(found.values())


class CustomizationLimitSerializer(serializers.ModelSerializer):
    asset_class = serializers.SlugRelatedField(slug_field="code", queryset=_asset_classes())
    risk_profile = serializers.ChoiceField(choices=[("", "every profile"),
                                                    *RiskProfile.choices],
                                           required=False, allow_blank=True, default="")
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = CustomizationLimit
        fields = ["id", "name", "risk_profile", "asset_class", "max_change", "min_weight",
                  "max_weight", "reason"]
        read_only_fields = ["id"]


class ProviderSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = ModelProvider
        fields = ["id", "code", "name", "contact_email", "reason"]
        read_only_fields = ["id"]


class FeeTierSerializer(serializers.Serializer):
    assets_from = serializers.DecimalField(max_digits=18, decimal_places=2)
    annual_bps = serializers.DecimalField(max_digits=8, decimal_places=4)


class FeeScheduleSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code",
                                            queryset=ModelProvider.objects.all())
    tiers = FeeTierSerializer(many=True)
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = FeeSchedule
        fields = ["id", "provider", "code", "name", "method", "tiers", "reason"]
        read_only_fields = ["id"]

    def to_representation(self, schedule: FeeSchedule) -> dict[str, Any]:
        data = super().to_representation(schedule)
        data["tiers"] = [{"assets_from": str(t.assets_from), "annual_bps": str(t.annual_bps)}
                         for t in schedule.tiers.order_by("assets_from")]
        return data


class SubscriptionSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code",
                                            queryset=ModelProvider.objects.all())
    fee_schedule = serializers.SlugRelatedField(slug_field="code", required=False,
                                                allow_null=True,
                                                queryset=FeeSchedule.objects.all())
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = ModelSubscription
        fields = ["id", "provider", "fee_schedule", "status", "requested_on", "start_date",
                  "end_date", "note", "reason"]
        read_only_fields = ["id", "status", "start_date", "end_date"]


class SubscriptionDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class FeeAccrualSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="subscription.provider.code", read_only=True)

    class Meta:
        model = FeeAccrual
        fields = ["id", "subscription", "provider", "accrual_date", "market_value",
                  "account_count", "by_model", "annual_fee", "amount", "statement"]
        read_only_fields = fields


class BillingStatementSerializer(serializers.ModelSerializer):
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = BillingStatement
        fields = ["id", "provider", "period_start", "period_end", "total", "accrual_days",
                  "issued_at"]
        read_only_fields = fields


class BillingStatementIssueSerializer(serializers.Serializer):
    provider = serializers.SlugRelatedField(slug_field="code",
                                            queryset=ModelProvider.objects.all())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
