"""API of the model book and the model hub: reads for every role that may see models, drafts
and direct edits for the committee, approvals by a second member, contracts and bills."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dataops.models import AssetClass, Security
from models_hub import services
from models_hub.api import serializers as s
from models_hub.api.history import history_entries
from models_hub.book import ModelBook
from models_hub.models import (
    AllocationWeight,
    ApprovedAlternative,
    AssetAllocation,
    BillingStatement,
    CustomizationLimit,
    EquivalenceMember,
    EquivalenceSet,
    FeeAccrual,
    FeeSchedule,
    ModelChange,
    ModelProvider,
    ModelSubscription,
    Program,
    ProgramProduct,
    SecurityModel,
    SecurityModelVersion,
)
from models_hub.statements import statement_csv, statement_html, statement_pdf
from rebal.api.viewsets import FirmScopedViewSet

HISTORY = extend_schema(responses={200: OpenApiTypes.OBJECT})


def _reason(request: Request) -> str:
    data = request.data if isinstance(request.data, dict) else {}
    return str(data.get("reason") or request.headers.get("X-Change-Reason", ""))


def _as_of(request: Request) -> date:
    raw = request.query_params.get("as_of")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise ValidationError("as_of: use YYYY-MM-DD") from None


def _by_code(model: Any, code: Any, what: str) -> Any:
    found = model.objects.filter(code=code).first()
    if found is None:
        raise ValidationError(f"{what} {code!r} does not exist.")
    return found


def _asset_class_ids(mapping: dict[str, Any]) -> dict[int, Any]:
    return {_by_code(AssetClass, code, "Asset class").pk: value
            for code, value in mapping.items()}


def _security_ids(mapping: dict[str, Any]) -> dict[int, Any]:
    ids = {}
    for name, weight in mapping.items():
        security = (Security.objects.filter(ticker=name).first()
                    or Security.objects.filter(cusip=name).first())
        if security is None:
            raise ValidationError(f"Security {name!r} is not in the security master.")
        ids[security.pk] = weight
    return ids


class _History:
    """The `history` action of a structure (its own rows and its children's)."""

    def history_records(self, obj: Any) -> list[Any]:
        return list(obj.history.all())

    @HISTORY
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Who changed it, when and why, with the fields that changed."""
        obj = self.get_object()  # type: ignore[attr-defined]
        return Response(history_entries(self.history_records(obj)))


class AllocationViewSet(_History, FirmScopedViewSet):
    """Asset allocations: weights over asset classes summing to 1. Change them by proposing a
    model change."""

    model = AssetAllocation
    serializer_class = s.AllocationSerializer
    permission_object = "model"
    ordering = ("code",)
    action_permissions = {"history": "model.view"}

    def history_records(self, obj: Any) -> list[Any]:
        return [*obj.history.all(),
                *AllocationWeight.history.filter(allocation_id=obj.pk)]


class ProductViewSet(_History, FirmScopedViewSet):
    """Security models (products): each implements one asset class with securities."""

    model = SecurityModel
    serializer_class = s.ProductSerializer
    permission_object = "model"
    select_related = ("asset_class", "provider")
    ordering = ("code",)
    action_permissions = {"history": "model.view", "versions": "model.view"}

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Every version of the product's weights: from a file or a published change."""
        product = self.get_object()
        return Response([{"id": v.pk, "as_of_date": v.as_of_date, "feed_file": v.feed_file_id,
                          "change": v.change_id, "weights": {
                              w.security.ticker or w.security.cusip: str(w.weight)
                              for w in v.weights.select_related("security")}}
                         for v in SecurityModelVersion.objects.filter(model=product)
                         .order_by("-as_of_date", "-pk")])


class ProgramViewSet(_History, FirmScopedViewSet):
    """Programs: an allocation with a product per asset class (or a parent's differences);
    accounts name them by code."""

    model = Program
    serializer_class = s.ProgramSerializer
    permission_object = "model"
    select_related = ("parent", "allocation")
    ordering = ("code",)
    action_permissions = {"history": "model.view", "target": "model.view"}

    def history_records(self, obj: Any) -> list[Any]:
        return [*obj.history.all(), *ProgramProduct.history.filter(program_id=obj.pk)]

    @extend_schema(parameters=[OpenApiParameter("as_of", str)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def target(self, request: Request, pk: str | None = None) -> Response:
        """The program resolved through its parents: asset-class weights, products, steps."""
        program = self.get_object()
        book = ModelBook.load(as_of=_as_of(request))
        resolution = book.resolve_classes(program.pk)
        return Response({
            "program": program.code, "allocation": resolution.allocation_code,
            "risk_profile": resolution.risk_profile, "errors": list(resolution.errors),
            "asset_classes": [{"asset_class": book.asset_classes[c.asset_class_id].code,
                               "weight": str(c.weight), "product": book.product_label(
                                   c.product_id), "product_source": c.product_origin,
                               "steps": list(c.steps)} for c in resolution.classes]})


def propose(*, kind: str, target: int | None, proposal: dict[str, Any], reason: str,
            user: Any) -> ModelChange:
    """A proposal in codes (as the API takes it) → the publishing service."""
    p = proposal
    if kind == ModelChange.Kind.ALLOCATION:
        return services.allocation_propose(
            code=str(p.get("code", "")), name=str(p.get("name", "")),
            risk_profile=str(p.get("risk_profile", "")),
            weights=_asset_class_ids(dict(p.get("weights") or {})),
            description=str(p.get("description", "")), reason=reason, acting_user=user,
            allocation=AssetAllocation.objects.get(pk=target) if target else None)
    if kind == ModelChange.Kind.PRODUCT:
        effective = p.get("effective_date")
        return services.product_propose(
            code=str(p.get("code", "")), name=str(p.get("name", "")),
            asset_class=_by_code(AssetClass, p.get("asset_class"), "Asset class"),
            kind=str(p.get("kind", "")),
            weights=_security_ids(dict(p["weights"])) if p.get("weights") else None,
            effective_date=date.fromisoformat(effective) if effective else None,
            provider=_by_code(ModelProvider, p["provider"], "Provider")
            if p.get("provider") else None,
            reason=reason, acting_user=user,
            product=SecurityModel.objects.get(pk=target) if target else None)
    return services.program_propose(
        code=str(p.get("code", "")), name=str(p.get("name", "")),
        allocation=_by_code(AssetAllocation, p["allocation"], "Allocation")
        if p.get("allocation") else None,
        parent=_by_code(Program, p["parent"], "Program") if p.get("parent") else None,
        products={ac: _by_code(SecurityModel, code, "Product") for ac, code in
                  _asset_class_ids(dict(p.get("products") or {})).items()},
        excluded=list(_asset_class_ids({c: None for c in p.get("excluded") or ()})),
        tilts=_asset_class_ids(dict(p.get("tilts") or {})),
        description=str(p.get("description", "")), reason=reason, acting_user=user,
        program=Program.objects.get(pk=target) if target else None)


class ModelChangeViewSet(_History, mixins.CreateModelMixin, FirmScopedViewSet):
    """Drafts and decisions. POST a proposal (committee); a second member approves or rejects
    it; the author may withdraw it."""

    model = ModelChange
    serializer_class = s.ModelChangeSerializer
    permission_object = "model"
    select_related = ("author", "decided_by")
    ordering = ("-created_at", "-pk")
    action_permissions = {"create": "model.edit", "approve": "model.approve",
                          "reject": "model.approve", "withdraw": "model.edit",
                          "history": "model.view"}

    @extend_schema(request=s.ModelChangeCreateSerializer,
                   responses={201: s.ModelChangeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.ModelChangeCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        target = data.get("target")
        if target is not None:
            model = {"allocation": AssetAllocation, "product": SecurityModel,
                     "program": Program}[data["kind"]]
            if not model.objects.filter(pk=target).exists():
                raise ValidationError(f"There is no {data['kind']} {target}.")
        change = propose(kind=data["kind"], target=target, proposal=data["proposal"],
                         reason=data["reason"], user=request.user)
        return Response(s.ModelChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, decide: Any) -> Response:
        form = s.DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change = decide(change=self.get_object(), reason=form.validated_data["reason"],
                        acting_user=request.user)
        return Response(s.ModelChangeSerializer(change).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.ModelChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve and publish (not the author)."""
        return self._decide(request, services.model_change_approve)

    @extend_schema(request=s.DecisionSerializer, responses=s.ModelChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, services.model_change_reject)

    @extend_schema(request=s.DecisionSerializer, responses=s.ModelChangeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, services.model_change_withdraw)


class ApprovedAlternativeViewSet(_History, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                                 FirmScopedViewSet):
    """Products an account may substitute within an asset class."""

    model = ApprovedAlternative
    serializer_class = s.ApprovedAlternativeSerializer
    permission_object = "model"
    select_related = ("asset_class", "product")
    action_permissions = {"create": "model.edit", "destroy": "model.edit",
                          "history": "model.view"}

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.approved_alternative_add(
            asset_class=data["asset_class"], product=data["product"], note=data.get("note", ""),
            reason=data["reason"], acting_user=self.request.user)

    def perform_destroy(self, instance: ApprovedAlternative) -> None:
        services.approved_alternative_remove(alternative=instance, reason=_reason(self.request),
                                             acting_user=self.request.user)


class EquivalenceSetViewSet(_History, FirmScopedViewSet):
    """Securities that substitute for one another as a target."""

    model = EquivalenceSet
    serializer_class = s.EquivalenceSetSerializer
    permission_object = "model"
    ordering = ("code",)
    action_permissions = {"create": "model.edit", "partial_update": "model.edit",
                          "destroy": "model.edit", "history": "model.view"}

    def history_records(self, obj: Any) -> list[Any]:
        return [*obj.history.all(),
                *EquivalenceMember.history.filter(equivalence_set_id=obj.pk)]

    def _save(self, request: Request, equivalence_set: EquivalenceSet | None) -> EquivalenceSet:
        form = s.EquivalenceSetWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        return services.equivalence_set_save(
            code=data["code"], name=data["name"], securities=data["members"],
            reason=data["reason"], acting_user=request.user, equivalence_set=equivalence_set)

    @extend_schema(request=s.EquivalenceSetWriteSerializer,
                   responses={201: s.EquivalenceSetSerializer})
    def create(self, request: Request) -> Response:
        return Response(s.EquivalenceSetSerializer(self._save(request, None)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EquivalenceSetWriteSerializer,
                   responses=s.EquivalenceSetSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Replace the set's code, name and members."""
        return Response(s.EquivalenceSetSerializer(
            self._save(request, self.get_object())).data)

    @extend_schema(request=s.DecisionSerializer, responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.equivalence_set_delete(equivalence_set=self.get_object(),
                                        reason=_reason(request), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomizationLimitViewSet(_History, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                                mixins.DestroyModelMixin, FirmScopedViewSet):
    """How far customizations may move an asset class (or branch) from the program."""

    model = CustomizationLimit
    serializer_class = s.CustomizationLimitSerializer
    permission_object = "model"
    select_related = ("asset_class",)
    ordering = ("risk_profile", "name")
    action_permissions = {"create": "model.edit", "update": "model.edit",
                          "partial_update": "model.edit", "destroy": "model.edit",
                          "history": "model.view"}

    def _save(self, serializer: Any, limit: CustomizationLimit | None) -> None:
        current = {} if limit is None else {
            "name": limit.name, "asset_class": limit.asset_class,
            "risk_profile": limit.risk_profile, "max_change": limit.max_change,
            "min_weight": limit.min_weight, "max_weight": limit.max_weight}
        data = {**current, **serializer.validated_data}
        serializer.instance = services.customization_limit_save(
            name=data["name"], asset_class=data["asset_class"],
            risk_profile=data.get("risk_profile", ""), max_change=data.get("max_change"),
            min_weight=data.get("min_weight"), max_weight=data.get("max_weight"),
            reason=data["reason"], acting_user=self.request.user, limit=limit)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: CustomizationLimit) -> None:
        services.customization_limit_delete(limit=instance, reason=_reason(self.request),
                                            acting_user=self.request.user)


# --- the model hub -----------------------------------------------------------------------------

class ProviderViewSet(_History, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                      FirmScopedViewSet):
    """Third-party model providers."""

    model = ModelProvider
    serializer_class = s.ProviderSerializer
    permission_object = "provider"
    ordering = ("code",)
    action_permissions = {"create": "provider.manage", "update": "provider.manage",
                          "partial_update": "provider.manage", "history": "provider.view"}

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.provider_save(
            code=data["code"], name=data.get("name", ""),
            contact_email=data.get("contact_email", ""), reason=data["reason"],
            acting_user=self.request.user)

    def perform_update(self, serializer: Any) -> None:
        provider = serializer.instance
        data = serializer.validated_data
        serializer.instance = services.provider_save(
            code=data.get("code", provider.code), name=data.get("name", provider.name),
            contact_email=data.get("contact_email", provider.contact_email),
            reason=data["reason"], acting_user=self.request.user, provider=provider)


class FeeScheduleViewSet(_History, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         FirmScopedViewSet):
    """Fee schedules: annual basis points on assets following a provider's models, by tier."""

    model = FeeSchedule
    serializer_class = s.FeeScheduleSerializer
    permission_object = "provider"
    select_related = ("provider",)
    ordering = ("code",)
    action_permissions = {"create": "provider.manage", "update": "provider.manage",
                          "partial_update": "provider.manage", "history": "provider.view"}

    def _save(self, serializer: Any, schedule: FeeSchedule | None) -> None:
        data = serializer.validated_data
        tiers = data.get("tiers")
        if tiers is None and schedule is not None:
            tiers = list(schedule.tiers.values("assets_from", "annual_bps"))
        serializer.instance = services.fee_schedule_save(
            provider=data.get("provider", getattr(schedule, "provider", None)),
            code=data.get("code", getattr(schedule, "code", "")),
            name=data.get("name", getattr(schedule, "name", "")),
            method=data.get("method", getattr(schedule, "method", "marginal")),
            tiers=[(t["assets_from"], t["annual_bps"]) for t in tiers or ()],
            reason=data["reason"], acting_user=self.request.user, schedule=schedule)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)


class SubscriptionViewSet(_History, mixins.CreateModelMixin, FirmScopedViewSet):
    """The firm's subscriptions to providers: pending, active from a date, terminated."""

    model = ModelSubscription
    serializer_class = s.SubscriptionSerializer
    permission_object = "provider"
    select_related = ("provider", "fee_schedule")
    ordering = ("provider__code", "-requested_on")
    action_permissions = {"create": "provider.manage", "activate": "provider.manage",
                          "terminate": "provider.manage", "history": "provider.view"}

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.subscription_request(
            provider=data["provider"], fee_schedule=data.get("fee_schedule"),
            requested_on=data["requested_on"], note=data.get("note", ""),
            reason=data["reason"], acting_user=self.request.user)

    def _transition(self, request: Request, service: Any, field: str) -> Response:
        form = s.SubscriptionDateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        subscription = service(subscription=self.get_object(),
                               reason=form.validated_data["reason"], acting_user=request.user,
                               **{field: form.validated_data["date"]})
        return Response(s.SubscriptionSerializer(subscription).data)

    @extend_schema(request=s.SubscriptionDateSerializer, responses=s.SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Start the contract on `date`: fees accrue from then."""
        return self._transition(request, services.subscription_activate, "start_date")

    @extend_schema(request=s.SubscriptionDateSerializer, responses=s.SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        """End the contract: `date` is the last day of service."""
        return self._transition(request, services.subscription_terminate, "end_date")


class FeeAccrualViewSet(FirmScopedViewSet):
    """Daily fee accruals, by subscription and day (written by the nightly cycle)."""

    model = FeeAccrual
    serializer_class = s.FeeAccrualSerializer
    permission_object = "billing"
    select_related = ("subscription__provider",)
    ordering = ("-accrual_date", "subscription")


class BillingStatementViewSet(mixins.CreateModelMixin, FirmScopedViewSet):
    """Monthly bills per provider; each the sum of the month's accruals, to the cent."""

    model = BillingStatement
    serializer_class = s.BillingStatementSerializer
    permission_object = "billing"
    select_related = ("provider",)
    ordering = ("-period_start", "provider")
    action_permissions = {"create": "billing.manage", "csv": "billing.view",
                          "html": "billing.view", "pdf": "billing.view"}

    @extend_schema(request=s.BillingStatementIssueSerializer,
                   responses={201: s.BillingStatementSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.BillingStatementIssueSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        statement = services.billing_statement_issue(acting_user=request.user,
                                                     **form.validated_data)
        return Response(s.BillingStatementSerializer(statement).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=True, methods=["get"])
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        statement = self.get_object()
        response = HttpResponse(statement_csv(statement), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="{statement.provider.code}_{statement.period_start:%Y%m}.csv"')
        return response

    @extend_schema(responses={(200, "text/html"): str})
    @action(detail=True, methods=["get"])
    def html(self, request: Request, pk: str | None = None) -> HttpResponse:
        return HttpResponse(statement_html(self.get_object()), content_type="text/html")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        statement = self.get_object()
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{statement.provider.code}_{statement.period_start:%Y%m}.pdf"')
        return response
