"""The one base every API endpoint uses: firm scoping, role permissions, audit attribution.

Endpoints declare `model`, `serializer_class`, `permission_object` (the matrix's noun) and
optionally `filterset_class`, `select_related` and `ordering`; they may not override
`get_queryset`, so no endpoint can forget the firm or the person's grants.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, ClassVar

from django.db import models
from rest_framework import mixins, viewsets

from rebal.audit import audit_context
from rebal.models import APIToken

ACTION_VERBS = {
    "list": "view", "retrieve": "view", "create": "add", "update": "change",
    "partial_update": "change", "destroy": "delete",
}


class FirmScopedViewSetMixin:
    request: Any
    model: ClassVar[type[models.Model]]
    permission_object: ClassVar[str]
    select_related: ClassVar[tuple[str, ...]] = ()
    ordering: ClassVar[tuple[str, ...]] = ("pk",)
    # Extra actions (@action) name their matrix action here: {"acknowledge": "alert.acknowledge"}.
    action_permissions: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "get_object" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} may not override get_queryset/get_object: firm scoping and "
                "object permissions live in FirmScopedViewSet."
            )

    def required_action(self, request: Any) -> str | None:
        action = getattr(self, "action", None)
        if action in self.action_permissions:
            return self.action_permissions[action]
        verb = ACTION_VERBS.get(action or "")
        if verb is None:
            return None
        return f"{self.permission_object}.{verb}"

    def get_queryset(self) -> Any:
        action = self.required_action(self.request) or f"{self.permission_object}.view"
        queryset = self.model.objects.for_user(self.request.user, action)  # type: ignore[attr-defined]
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset.order_by(*self.ordering)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with ExitStack() as stack:
            self._audit_stack = stack
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        reason = request.headers.get("X-Change-Reason", "")
        if isinstance(request.auth, APIToken):
            self._audit_stack.enter_context(audit_context(api_token=request.auth, reason=reason))
        elif reason:
            self._audit_stack.enter_context(audit_context(reason=reason))


class FirmScopedReadOnlyViewSet(FirmScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve, scoped to the firm and to the caller's grants."""


class FirmScopedViewSet(FirmScopedViewSetMixin, mixins.ListModelMixin,
                        mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve, plus whatever service-backed actions the endpoint adds."""
