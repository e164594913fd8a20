"""Endpoint-level permission from the role matrix; object-level visibility is the queryset's."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from rebal.permissions import can


class RoleActionPermission(BasePermission):
    """The caller must hold the view's action for this request somewhere in the matrix.

    Views without a firm action (health, schema) declare `firm_action = None` and
    `public = True`; every other view must name its actions, or the request is refused.
    """

    message = "Your roles in this firm do not permit this."

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "public", False):
            return True
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        if getattr(request._request, "firm", None) is None:
            return False
        action = view.required_action(request)
        if action is not None and can(user, action):
            return True
        if getattr(view, "detail", False):
            # An object the caller may not act on looks exactly like one that does not exist.
            raise exceptions.NotFound()
        return False
