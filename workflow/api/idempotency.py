"""`Idempotency-Key` on the OMS's POSTs: the first answer to a key is stored per token and given
again to a retry; the same key with a different request is refused (422). Answers of 5xx are
not stored (nothing was done; the retry does the work)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from rebal.models import APIToken
from workflow.models import IdempotencyRecord

HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, str, location=OpenApiParameter.HEADER, required=False,
    description="Any unique string (at most 200 characters); a retry with the same key and "
    "body gets the first answer again, a different body under the same key gets 422.")


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for a different request."
    default_code = "idempotency_key_reused"


def _digest(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        token = request.auth if isinstance(request.auth, APIToken) else None
        if not key or token is None:
            return view(self, request, *args, **kwargs)
        if len(key) > 200:
            raise exceptions.ValidationError({HEADER: "At most 200 characters."})
        digest = _digest(request)
        earlier = IdempotencyRecord.objects.filter(api_token=token, key=key).first()
        if earlier is not None:
            if earlier.request_digest != digest:
                raise KeyReused()
            return Response(earlier.response, status=earlier.status_code)
        try:
            response = view(self, request, *args, **kwargs)
        except (exceptions.APIException, ValidationError, Http404) as error:
            # A refusal is an answer too: handle it here so that it is stored.
            response = self.handle_exception(error)
        if response.status_code < 500:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        api_token=token, key=key, request_digest=digest,
                        status_code=response.status_code, response=response.data)
            except IntegrityError:  # a concurrent retry stored its answer first
                return Response(
                    IdempotencyRecord.objects.get(api_token=token, key=key).response,
                    status=response.status_code)
        return response
    return wrapper
