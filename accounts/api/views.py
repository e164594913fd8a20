from datetime import date
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import AccountSerializer, HouseholdSerializer
from accounts.api.tax import (
    AdjustedLotSerializer,
    RealizedLotSerializer,
    WashSaleWindowSerializer,
)
from accounts.filtersets import AccountFilterSet
from accounts.models import Account, Household
from accounts.tax_data import entity_tax_view
from dataops.models import Security
from rebal.api.viewsets import FirmScopedReadOnlyViewSet


class HouseholdViewSet(FirmScopedReadOnlyViewSet):
    """Households the caller may see."""

    model = Household
    serializer_class = HouseholdSerializer
    permission_object = "household"
    ordering = ("name",)


class AccountViewSet(FirmScopedReadOnlyViewSet):
    """Accounts the caller may see."""

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet
    permission_object = "account"
    select_related = ("household",)
    ordering = ("account_number",)
    action_permissions = {"realized": "account.view", "lots": "account.view",
                          "wash_sale_windows": "account.view"}

    def _tax_view(self, request: Request) -> tuple[Any, Any, dict[str, str]]:
        account = self.get_object()
        raw = request.query_params.get("as_of")
        try:
            as_of = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as error:
            raise ValidationError({"as_of": "use YYYY-MM-DD"}) from error
        if account.tax_entity_id is None:
            raise ValidationError({"account": "the account has no tax entity yet"})
        view = entity_tax_view(tax_entity_id=account.tax_entity_id, as_of=as_of)
        keys = ({lot.security for lot in view.analysis.realized}
                | {lot.security for lot in view.adjusted_lots} | set(view.windows))
        names = {str(pk): ticker or cusip for pk, ticker, cusip in
                 Security.objects.filter(pk__in=[int(k) for k in keys if k.isdigit()])
                 .values_list("pk", "ticker", "cusip")}
        return account, view, names

    @extend_schema(parameters=[OpenApiParameter("as_of", str)], responses=inline_serializer(
        "RealizedLots", {"as_of": serializers.DateField(), "window_start":
                         serializers.DateField(), "problems": serializers.DictField(),
                         "results": RealizedLotSerializer(many=True)}))
    @action(detail=True, methods=["get"])
    def realized(self, request: Request, pk: str | None = None) -> Response:
        """Each lot realized in the window: dates, quantity, proceeds, basis, gain, term and the
        loss disallowed by wash sales across the account's tax entity."""
        account, view, names = self._tax_view(request)
        rows = [{
            "sale_transaction_id": lot.sale_transaction_id, "lot_id": lot.lot_id,
            "security": names.get(lot.security, lot.security),
            "acquired_date": lot.acquired_date, "holding_period_start": lot.holding_period_start,
            "sold_date": lot.sold_date, "quantity": lot.quantity, "proceeds": lot.proceeds,
            "cost_basis": lot.cost_basis, "gain": lot.gain, "term": lot.term,
            "disallowed_loss": lot.disallowed_loss, "recognized_gain": lot.recognized_gain,
        } for lot in view.analysis.realized if lot.account == account.account_number]
        return Response({"as_of": view.as_of, "window_start": view.start,
                         "problems": view.problems,
                         "results": RealizedLotSerializer(rows, many=True).data})

    @extend_schema(parameters=[OpenApiParameter("as_of", str)],
                   responses=AdjustedLotSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lots(self, request: Request, pk: str | None = None) -> Response:
        """The custodian's open lots with Rebal's wash-sale overlay (never edited in place)."""
        account, view, names = self._tax_view(request)
        rows = [{
            "lot_id": lot.lot_id, "part": lot.part,
            "security": names.get(lot.security, lot.security), "quantity": lot.quantity,
            "custodian_cost_basis": lot.cost_basis - lot.overlay_basis_adjustment,
            "overlay_basis_adjustment": lot.overlay_basis_adjustment,
            "adjusted_cost_basis": lot.cost_basis,
            "acquired_date": lot.acquired_date,
            "holding_period_start": lot.holding_period_start,
            "long_term_from": lot.long_term_from,
        } for lot in view.adjusted_lots if lot.account == account.account_number]
        return Response(AdjustedLotSerializer(rows, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("as_of", str)],
                   responses=WashSaleWindowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="wash-sale-windows")
    def wash_sale_windows(self, request: Request, pk: str | None = None) -> Response:
        """Per security of the account's tax entity: the date until which a buy, or a loss
        sale, would cause a wash sale."""
        _, view, names = self._tax_view(request)
        rows = [{"security": names.get(key, key), "buy_blocked_until": w.buy_blocked_until,
                 "loss_sale_blocked_until": w.loss_sale_blocked_until}
                for key, w in sorted(view.windows.items())
                if w.buy_blocked_until or w.loss_sale_blocked_until]
        return Response(WashSaleWindowSerializer(rows, many=True).data)
