"""Server errors as people and machines should see them: when the database is out of reach, a
503 that says so and asks to retry (a load balancer will try another instance), not a 500."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so it can look at it."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    message = ("Rebal cannot reach its database right now. Please try again in a minute."
               if unavailable else "Something went wrong on our side. It has been logged.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": {"status": status, "code": "unavailable" if unavailable else "error",
                       "message": message, "fields": {}}}, status=status)
    else:
        # A plain template: the layout would need the database (the person, their firm).
        response = HttpResponse(render_to_string("error.html", {"status": status,
                                                                "message": message}),
                                status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_SECONDS)
    return response
