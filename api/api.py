"""The REST API object: bearer tokens, problem details, ETags and the OpenAPI 3.1 schema."""

import hashlib
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema

from .problems import PROBLEM_CONTENT_TYPE, PROBLEM_STATUSES, install_problem_handlers
from .schemas import Problem

DESCRIPTION = """
The ALROSA ALLIANCE portal's records for your systems.

**Authentication**: `Authorization: Bearer <token>`. Member users make tokens in the portal
(*API tokens*); staff make them in the administration. A *read* token may only read.

**Scope**: a staff token sees what its user may see in the administration; a member token sees
its own organisations' licences, review cycles and certificates (another organisation's record
is a 404). The register and certificate verification need no token.

**Lists** are pages (`limit`, `offset`; `next` and `previous` are links). **ETags**: send a
response's `ETag` back as `If-None-Match` to get `304 Not Modified` when nothing changed.
**Errors** are RFC 9457 problem details (`application/problem+json`). **Rate limit**: too many
requests a minute answer `429` with `Retry-After`.
"""


class AllianceAPI(NinjaAPI):
    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if request.method != "GET" or response.status_code != 200:
            return response
        # A strong validator of the exact body: the same records give the same bytes.
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ["Authorization"])
        wanted = [
            tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))
        ]
        if etag in wanted or "*" in wanted:
            not_modified = HttpResponseNotModified()
            for header in ("ETag", "Cache-Control", "Vary"):
                not_modified[header] = response[header]
            return not_modified
        return response

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_problems(schema)
        return schema


def _document_problems(schema: OpenAPISchema) -> None:
    """Every operation may answer with a problem; GETs also with 304 (If-None-Match)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    problem_content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in PROBLEM_STATUSES:
                if status == 401 and not operation.get("security"):
                    continue
                responses[str(status)] = {
                    "description": HTTPStatus(status).phrase,
                    "content": problem_content,
                }
            if method == "get":
                responses["304"] = {"description": "Not Modified (the If-None-Match ETag)"}


def build_api() -> AllianceAPI:
    # The writes register on the records' router (one URL pattern per path, whatever the
    # method): importing them is what adds them.
    from .endpoints import public, records, writes  # noqa: F401

    api = AllianceAPI(
        title="ALROSA ALLIANCE API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        docs=Swagger(settings={"persistAuthorization": False}),
    )
    install_problem_handlers(api)
    api.add_router("", public.router, tags=["public"])
    api.add_router("", records.router, tags=["records"])
    return api


api = build_api()
