"""Counts the database queries a response made (``X-Bench-Queries``), for the page bench.

A streamed response queries while it is sent, after its headers: its queries are counted as
it streams and read afterwards from ``/bench/streamed-queries/``."""

from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

STREAMED = {"queries": 0}  # the last streamed response's count (one worker process)


def streamed_queries(request: HttpRequest) -> HttpResponse:
    return JsonResponse(STREAMED)


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
            response.streaming_content = _counted(response.streaming_content, made, counter)  # type: ignore[attr-defined]
        response["X-Bench-Queries"] = str(made[0])
        return response

    return middleware


def _counted(chunks: Iterator[bytes], made: list[int], counter: Any) -> Iterator[bytes]:
    with connection.execute_wrapper(counter):
        yield from chunks
    STREAMED["queries"] = made[0]
