"""Reads of screening, for staff only: members never see any of it."""

from django.db.models import QuerySet

from members.models import Member

from .models import OPEN_HIT_STATUSES, Hit, ListEntry, ListVersion


def hits_for_staff() -> QuerySet[Hit]:
    """Hits with what their lists and details show, in one query."""
    return Hit.objects.select_related(
        "subject",
        "subject__member",
        "subject__application",
        "entry",
        "entry__source",
        "proposed_by",
        "resolved_by",
        "review_started_by",
        "case",
    )


def open_hits() -> QuerySet[Hit]:
    return Hit.objects.filter(status__in=OPEN_HIT_STATUSES)


def hits_of_member(member: Member) -> QuerySet[Hit]:
    """A member's hits (the company and its people), for its 360° page."""
    return hits_for_staff().filter(subject__member=member).order_by("-created_at", "-pk")


def versions_for_staff() -> QuerySet[ListVersion]:
    return ListVersion.objects.select_related("source", "imported_by")


def entries_for_staff() -> QuerySet[ListEntry]:
    return ListEntry.objects.select_related("source", "first_version", "removed_in")
