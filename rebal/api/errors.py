"""One JSON error shape for every API failure.

{"error": {"status": 404, "code": "not_found", "message": "Not found.", "fields": {}}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        if isinstance(detail, dict):
            fields = detail
            message = "; ".join(
                f"{name}: {' '.join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))}"
                for name, msgs in detail.items()
            )
        else:
            message = " ".join(str(item) for item in detail)
    else:
        code = getattr(exc, "default_code", "error")
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
    if response.status_code == status.HTTP_404_NOT_FOUND:
        code, message = "not_found", "Not found."
    response.data = {"error": {"status": response.status_code, "code": code,
                               "message": message, "fields": fields}}
    return response
