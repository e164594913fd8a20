"""The one gate every firm page passes: signed in, in a firm, holding the page's action."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from rebal.permissions import can


def firm_page(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a page with the matrix action it needs.

    Pages about one object (with a `pk`) answer 404 when the action is not held, exactly as for
    an object of another firm; collection pages answer 403.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "firm", None) is None or not can(request.user, action):
                if "pk" in kwargs:
                    raise Http404
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.firm_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorator
