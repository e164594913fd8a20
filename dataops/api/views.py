"""API endpoints of data operations: feed files (upload, list, quarantined rows) and the
unknown-securities queue."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dataops.api import serializers
from dataops.filtersets import FeedFileFilterSet, UnknownSecurityFilterSet
from dataops.models import FeedFile, QuarantinedRow, UnknownSecurity
from dataops.services.feeds import Delivery, FeedNotStored, feed_file_receive
from dataops.services.unknown_securities import unknown_security_add, unknown_security_map
from rebal.api.viewsets import FirmScopedViewSet
from rebal.middleware import keep_writes
from rebal.models import APIToken


class FeedFileViewSet(FirmScopedViewSet):
    """Feed files received by the firm; POST a file to deliver one (multipart field `file`)."""

    model = FeedFile
    serializer_class = serializers.FeedFileSerializer
    filterset_class = FeedFileFilterSet
    permission_object = "feed"
    ordering = ("-received_at", "-pk")
    action_permissions = {"create": "feed.upload", "quarantined_rows": "feed.view"}

    @extend_schema(request={"multipart/form-data": serializers.FeedUploadSerializer},
                   responses={201: serializers.FeedFileSerializer,
                              507: OpenApiResponse(description="The file could not be stored "
                                                   "(our disk); nothing recorded: send it again")})
    def create(self, request: Request) -> Response:
        """Receive and load one file. A rejected file is still recorded: 201 with status
        `rejected` and the reason in `error`. 507 when it could not be stored: nothing was
        recorded, the data manager is alerted, and the file must be sent again."""
        form = serializers.FeedUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        token = request.auth if isinstance(request.auth, APIToken) else None
        delivery = Delivery(
            door=FeedFile.Door.API,
            delivered_by=token.name if token else getattr(request.user, "email", ""),
            user=None if token else request.user, api_token=token)
        try:
            feed_file = feed_file_receive(name=upload.name, data=upload.read(),
                                          delivery=delivery)
        except FeedNotStored as error:  # answered, not raised: its alert is committed
            return keep_writes(Response(
                {"error": {"status": 507, "code": "not_stored", "message": str(error),
                           "fields": {}}}, status=status.HTTP_507_INSUFFICIENT_STORAGE))
        return Response(serializers.FeedFileSerializer(feed_file).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.QuarantinedRowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="quarantined-rows",
            url_name="quarantined-rows", filterset_class=None)
    def quarantined_rows(self, request: Request, pk: str | None = None) -> Response:
        """The file's rows that did not load, by line: column, reason, account, raw values."""
        rows = (QuarantinedRow.objects.for_user(request.user, "feed.view")
                .filter(feed_file=self.get_object()).order_by("line_number", "column", "pk"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            serializers.QuarantinedRowSerializer(page, many=True).data)


class UnknownSecurityViewSet(FirmScopedViewSet):
    """The unknown-securities queue: identifiers holdings named that the master did not know."""

    model = UnknownSecurity
    serializer_class = serializers.UnknownSecuritySerializer
    filterset_class = UnknownSecurityFilterSet
    permission_object = "feed"
    select_related = ("first_seen_file", "resolved_by")
    ordering = ("status", "ticker", "cusip", "pk")
    action_permissions = {"add": "security.edit", "map": "security.edit"}

    @extend_schema(request=serializers.UnknownSecurityAddSerializer,
                   responses=serializers.UnknownSecuritySerializer)
    @action(detail=True, methods=["post"])
    def add(self, request: Request, pk: str | None = None) -> Response:
        """Add the security to the master; the accounts holding it come off their hold."""
        entry = self.get_object()
        form = serializers.UnknownSecurityAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = unknown_security_add(entry=entry, acting_user=request.user, **form.validated_data)
        return Response(serializers.UnknownSecuritySerializer(entry).data)

    @extend_schema(request=serializers.UnknownSecurityMapSerializer,
                   responses=serializers.UnknownSecuritySerializer)
    @action(detail=True, methods=["post"])
    def map(self, request: Request, pk: str | None = None) -> Response:
        """The identifier belongs to a security the master knows: map it there."""
        entry = self.get_object()
        form = serializers.UnknownSecurityMapSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = unknown_security_map(entry=entry, target=form.validated_data["security"],
                                     reason=form.validated_data["reason"],
                                     acting_user=request.user)
        return Response(serializers.UnknownSecuritySerializer(entry).data)
