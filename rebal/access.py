"""One way in to a single object: missing, other firm's and forbidden all look the same (404)."""

from __future__ import annotations

from typing import Any

from django.http import Http404


def access_object(model: Any, user: Any, action: str, **lookup: Any) -> Any:
    """The object `user` may perform `action` on, or Http404 whatever the reason it is not."""
    try:
        return model.objects.for_user(user, action).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError) as error:
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from error
