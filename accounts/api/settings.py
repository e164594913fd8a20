"""Settings over the API: effective settings with provenance, the layers people change (account,
household, tax entity, firm defaults), commission schedules, targets, and history.

Writes go through accounts.services.settings, so the API refuses exactly what the browser and
a settings file refuse, with the same words.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from accounts.models import (
    Account,
    AccountSettings,
    CommissionSchedule,
    FirmSettings,
    Household,
    HouseholdSettings,
    TaxEntitySettings,
)
from accounts.services.settings import (
    account_settings_update,
    commission_schedule_save,
    firm_settings_update,
    household_settings_update,
    tax_entity_settings_update,
)
from accounts.settings_catalog import CATALOG, MAP, SET, TAX_LAYERS, Vocabulary, load_layer
from accounts.settings_resolution import EffectiveSettings, effective_settings
from accounts.targets import resolve_target
from models_hub.api.history import history_entries
from rebal.api.viewsets import FirmScopedViewSet, FirmScopedViewSetMixin


class SettingsChangeSerializer(serializers.Serializer):
    changes = serializers.DictField(required=False, default=dict,
                                    help_text="Setting name → value, as entered (tickers, "
                                    "codes, percents, dollars).")
    clear = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                  help_text="Settings to clear (inherit from above again).")
    reason = serializers.CharField(help_text="Why: recorded in the history.")


def _shown(name: str, typed: Any, vocabulary: Vocabulary) -> Any:
    return None if typed is None else CATALOG[name].show(typed, vocabulary)


def layer_payload(values: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """A layer's own values, as people read them."""
    return {name: _shown(name, typed, vocabulary)
            for name, typed in sorted(load_layer(values).items())}


def effective_payload(settings: EffectiveSettings, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    rows = []
    for name, effective in settings.values.items():
        setting = CATALOG[name]
        row: dict[str, Any] = {
            "name": name, "label": setting.label, "help": setting.help, "kind": setting.kind,
            "value": _shown(name, effective.value, vocabulary),
            "source": effective.source.label, "layer": effective.source.layer}
        if setting.choices:
            row["choices"] = [{"value": v, "label": label} for v, label in setting.choices]
        if setting.kind in (SET, MAP) and effective.item_sources:
            row["from"] = {vocabulary.name(setting.refers_to, key): source.label
                           for key, source in sorted(effective.item_sources.items())}
        rows.append(row)
    return rows


def _settings_history(records: Any, vocabulary: Vocabulary) -> list[dict[str, Any]]:
    def show(field: str, value: Any) -> Any:
        return layer_payload(value or {}, vocabulary) if field == "values" else value

    return history_entries(records, show=show)


class AccountSettingsViewSet(FirmScopedViewSetMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """An account's settings: every effective value with its source, the account's own
    overrides, its target, its tax entity's rates, and the history of its changes."""

    model = Account
    serializer_class = SettingsChangeSerializer
    permission_object = "account"
    select_related = ("household", "tax_entity")
    ordering = ("account_number",)
    action_permissions = {"partial_update": "account.change_settings",
                          "history": "account.view", "target": "account.view",
                          "tax_rates": "account.view",
                          "update_tax_rates": "account.change_settings"}

    def _payload(self, account: Account) -> dict[str, Any]:
        vocabulary = Vocabulary()
        own = AccountSettings.objects.filter(account=account).first()
        return {"id": account.pk, "account_number": account.account_number,
                "program": account.program_code,
                "overrides": layer_payload(own.values if own else {}, vocabulary),
                "settings": effective_payload(effective_settings(account), vocabulary)}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._payload(self.get_object()))

    @extend_schema(request=SettingsChangeSerializer, responses={200: OpenApiTypes.OBJECT})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the account's own settings (advisors: their accounts, within the limits)."""
        account = self.get_object()
        form = SettingsChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        account_settings_update(account=account, acting_user=request.user,
                                **form.validated_data)
        return Response(self._payload(account))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        return Response(_settings_history(
            AccountSettings.history.filter(account_id=account.pk), Vocabulary()))

    @extend_schema(parameters=[OpenApiParameter("as_of", str)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def target(self, request: Request, pk: str | None = None) -> Response:
        """The account's resolved target: every security weight with where it came from."""
        account = self.get_object()
        raw = request.query_params.get("as_of")
        try:
            as_of = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise ValidationError("as_of: use YYYY-MM-DD") from None
        # A read: the nightly resolution places holds, a look at the target does not.
        target = resolve_target(account, as_of, hold_unknown_programs=False)
        return Response({"account_number": account.account_number, **target.as_record(),
                         "explanations": {s.security: target.explain(s.security)
                                          for s in target.securities}})

    def _tax_row(self, account: Account) -> TaxEntitySettings | None:
        if account.tax_entity_id is None:
            raise ValidationError("The account has no tax entity yet.")
        return TaxEntitySettings.objects.filter(tax_entity_id=account.tax_entity_id).first()

    def _tax_payload(self, account: Account) -> dict[str, Any]:
        vocabulary = Vocabulary()
        row = self._tax_row(account)
        settings = effective_settings(account)
        return {"tax_entity": account.tax_entity.code if account.tax_entity else None,
                "overrides": layer_payload(row.values if row else {}, vocabulary),
                "settings": [r for r in effective_payload(settings, vocabulary)
                             if CATALOG[r["name"]].layers == TAX_LAYERS]}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="tax-rates")
    def tax_rates(self, request: Request, pk: str | None = None) -> Response:
        """The account's tax entity's rates and carryforwards, with their sources."""
        return Response(self._tax_payload(self.get_object()))

    @extend_schema(request=SettingsChangeSerializer, responses={200: OpenApiTypes.OBJECT})
    @tax_rates.mapping.patch
    def update_tax_rates(self, request: Request, pk: str | None = None) -> Response:
        """Change the tax entity's rates (shared by all of the taxpayer's accounts)."""
        account = self.get_object()
        self._tax_row(account)
        form = SettingsChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        tax_entity_settings_update(tax_entity=account.tax_entity, acting_user=request.user,
                                   **form.validated_data)
        return Response(self._tax_payload(account))


class HouseholdSettingsViewSet(FirmScopedViewSetMixin, mixins.RetrieveModelMixin,
                               viewsets.GenericViewSet):
    """A household's settings, applying to each of its accounts unless the account overrides."""

    model = Household
    serializer_class = SettingsChangeSerializer
    permission_object = "household"
    ordering = ("name",)
    action_permissions = {"partial_update": "household_settings.change",
                          "history": "household.view"}

    def _payload(self, household: Household) -> dict[str, Any]:
        row = HouseholdSettings.objects.filter(household=household).first()
        return {"id": household.pk, "household": household.code,
                "overrides": layer_payload(row.values if row else {}, Vocabulary())}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._payload(self.get_object()))

    @extend_schema(request=SettingsChangeSerializer, responses={200: OpenApiTypes.OBJECT})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        household = self.get_object()
        form = SettingsChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        household_settings_update(household=household, acting_user=request.user,
                                  **form.validated_data)
        return Response(self._payload(household))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        household = self.get_object()
        return Response(_settings_history(
            HouseholdSettings.history.filter(household_id=household.pk), Vocabulary()))


class FirmSettingsSerializer(serializers.ModelSerializer):
    values = serializers.SerializerMethodField()

    class Meta:
        model = FirmSettings
        fields = ["id", "values", "updated_at"]
        read_only_fields = fields

    def get_values(self, row: FirmSettings) -> dict[str, Any]:
        return layer_payload(row.values, Vocabulary())


class FirmSettingsViewSet(FirmScopedViewSet):
    """The firm's defaults for every account (firm administrators). POST sets them the first
    time; PATCH changes them."""

    model = FirmSettings
    serializer_class = FirmSettingsSerializer
    permission_object = "policy"
    action_permissions = {"list": "policy.manage", "retrieve": "policy.manage",
                          "create": "policy.manage", "partial_update": "policy.manage",
                          "history": "policy.manage"}

    def _change(self, request: Request) -> FirmSettings:
        form = SettingsChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return firm_settings_update(acting_user=request.user, **form.validated_data)

    @extend_schema(request=SettingsChangeSerializer, responses={201: FirmSettingsSerializer})
    def create(self, request: Request) -> Response:
        if FirmSettings.objects.exists():
            raise ValidationError("The firm's defaults exist: PATCH them.")
        return Response(FirmSettingsSerializer(self._change(request)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=SettingsChangeSerializer, responses=FirmSettingsSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        return Response(FirmSettingsSerializer(self._change(request)).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        return Response(_settings_history(self.get_object().history.all(), Vocabulary()))


class CommissionScheduleSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(write_only=True)

    class Meta:
        model = CommissionSchedule
        fields = ["id", "code", "name", "per_trade", "per_share", "percent_bps", "minimum",
                  "reason"]
        read_only_fields = ["id"]


class CommissionScheduleViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                                FirmScopedViewSet):
    """What trades cost clients; accounts choose one by code (setting commission_schedule)."""

    model = CommissionSchedule
    serializer_class = CommissionScheduleSerializer
    permission_object = "commission_schedule"
    ordering = ("code",)
    action_permissions = {"create": "policy.manage", "update": "policy.manage",
                          "partial_update": "policy.manage"}

    def _save(self, serializer: Any, schedule: CommissionSchedule | None) -> None:
        current = {} if schedule is None else {
            key: getattr(schedule, key) for key in ("code", "name", "per_trade", "per_share",
                                                    "percent_bps", "minimum")}
        data = {**current, **serializer.validated_data}
        serializer.instance = commission_schedule_save(acting_user=self.request.user,
                                                       schedule=schedule, **data)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)


class SettingChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class SettingDefinitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    help = serializers.CharField()
    kind = serializers.CharField()
    layers = serializers.ListField(child=serializers.CharField())
    choices = SettingChoiceSerializer(many=True)


class SettingDefinitionsView(APIView):
    """The settings catalog: name, label, help, kind, choices and who may set each."""

    def required_action(self, request: Request) -> str:
        return "home.view"

    @extend_schema(responses={200: SettingDefinitionSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response([{"name": s.name, "label": s.label, "help": s.help, "kind": s.kind,
                          "layers": sorted(s.layers),
                          "choices": [{"value": v, "label": label} for v, label in s.choices]}
                         for s in CATALOG.values()])


router = DefaultRouter()
router.include_root_view = False
router.register("account-settings", AccountSettingsViewSet, basename="account-settings")
router.register("household-settings", HouseholdSettingsViewSet, basename="household-settings")
router.register("firm-settings", FirmSettingsViewSet, basename="firm-settings")
router.register("commission-schedules", CommissionScheduleViewSet,
                basename="commission-schedule")
