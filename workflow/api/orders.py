"""The OMS API: pull released orders (with lot instructions), acknowledge them, post fills
(idempotent by execution id), cancel. Tokens need the orders:read / orders:write scopes;
POSTs honor Idempotency-Key. Moves the state table forbids answer 409."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rebal.api.viewsets import FirmScopedViewSet
from workflow.api import order_serializers as s
from workflow.api.idempotency import IDEMPOTENCY_KEY, idempotent
from workflow.api.order_filters import OrderFilterSet
from workflow.models import Order
from workflow.services.batch_states import TransitionRefused
from workflow.services.oms import order_acknowledge, order_cancel, order_fill_record

CONFLICT = OpenApiResponse(description="The order's state does not allow this (e.g. a fill "
                           "before acknowledgement, or on a cancelled order).")
REFUSED = OpenApiResponse(description="Invalid, an overfill, an execution id already reported "
                          "differently, or an Idempotency-Key reused for another request.")


class StateConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class OrderViewSet(FirmScopedViewSet):
    """Orders released to the OMS, one per approved trade; `client_order_id` is stable."""

    model = Order
    serializer_class = s.OrderSerializer
    filterset_class = OrderFilterSet
    permission_object = "order"
    select_related = ("account", "security")
    ordering = ("released_at", "pk")
    action_permissions = {"acknowledge": "order.execute", "fills": "order.execute",
                          "cancel": "order.execute"}

    def _answer(self, work: Callable[[], Response]) -> Response:
        try:
            return work()
        except TransitionRefused as refused:
            raise StateConflict(" ".join(refused.messages)) from None

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.AcknowledgeSerializer,
                   responses={200: s.OrderSerializer, 409: CONFLICT, 422: REFUSED})
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """The OMS has the order and names the executing broker."""
        order = self.get_object()
        form = s.AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(lambda: Response(s.OrderSerializer(order_acknowledge(
            order=order, **form.validated_data)).data))

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.FillWriteSerializer,
                   responses={201: s.FillResultSerializer, 200: s.FillResultSerializer,
                              400: REFUSED, 409: CONFLICT, 422: REFUSED})
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def fills(self, request: Request, pk: str | None = None) -> Response:
        """An execution: 201 when recorded, 200 when this execution id was already recorded
        (it counts once). A fill beyond the open shares is refused."""
        order = self.get_object()
        form = s.FillWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)

        def record() -> Response:
            fill, created = order_fill_record(order=order, **form.validated_data)
            return Response({"created": created, "fill": s.FillSerializer(fill).data,
                             "order": s.OrderSerializer(fill.order).data},
                            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        return self._answer(record)

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=s.CancelSerializer,
                   responses={200: s.OrderSerializer, 409: CONFLICT, 422: REFUSED})
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """The order was cancelled (whatever filled stays filled)."""
        order = self.get_object()
        form = s.CancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._answer(lambda: Response(s.OrderSerializer(order_cancel(
            order=order, reason=form.validated_data["reason"])).data))
