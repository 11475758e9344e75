"""Lists: limit/offset pages with absolute ``next``/``previous`` links, and the filters every
list shares (member, updated since)."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from .schemas import MAX_ID, Since

M = TypeVar("M", bound=Model)
MAX_OFFSET = 10**9


class ListParams(Schema):
    limit: int = Field(
        settings.ALLIANCE_API_PAGE_SIZE,
        ge=1,
        le=settings.ALLIANCE_API_MAX_PAGE_SIZE,
        description="Records per page.",
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Records to skip.")
    member: int | None = Field(None, ge=1, le=MAX_ID, description="Only this member's records.")
    updated_since: Since | None = Field(
        None,
        description="Only records with a dated event (created, submitted, decided, "
        "ended …) at or after this time.",
    )


def narrow(
    records: QuerySet[M],
    params: ListParams,
    *,
    status: str | None = None,
    member_field: str = "member_id",
    stamps: Iterable[str] = (),
) -> QuerySet[M]:
    """A selector's records narrowed by the list's filters; ``stamps`` are the record's dated
    events that ``updated_since`` looks at."""
    if status:
        records = records.filter(status=status)
    if params.member is not None:
        records = records.filter(**{member_field: params.member})
    if params.updated_since is not None:
        since: datetime = params.updated_since
        changed = Q()
        for stamp in stamps:
            changed |= Q(**{f"{stamp}__gte": since})
        records = records.filter(changed)
    return records


def link(request: HttpRequest, offset: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    return request.build_absolute_uri(request.path) + "?" + query.urlencode()


def page(
    request: HttpRequest,
    records: QuerySet[M],
    params: ListParams,
    data: Callable[[M], dict[str, Any]],
) -> dict[str, Any]:
    count = records.count()
    start, size = params.offset, params.limit
    rows = list(records[start : start + size]) if start < count else []
    return {
        "count": count,
        "next": link(request, start + size) if start + size < count else None,
        "previous": link(request, max(0, start - size)) if start > 0 else None,
        "results": [data(row) for row in rows],
    }
