"""Counts the database queries a response made (``X-Bench-Queries``), for the page bench."""

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase


def count_queries(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        made = [0]

        def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            made[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = get_response(request)
            if getattr(response, "streaming", False):
                # Streamed bodies query while they are sent: read them here to count them.
                body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
                response = HttpResponse(body, content_type=response["Content-Type"])
        response["X-Bench-Queries"] = str(made[0])
        return response

    return middleware
