"""Reads for a member's 360° page: everything staff know about one member, each part bounded.

Each part is one query whatever the member's history: lists keep their newest ``SECTION_ROWS``
rows (one more is read to know whether there are more), and the audit trail is read in pages of
``TIMELINE_PAGE`` events, older pages by keyset (``before`` a sequence number).
"""

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import CharField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from alliance_portal.models import AuditEvent, OutboxMessage
from alliance_portal.outbox import messages_for_member
from compliance.models import (
    AuditorGrant,
    ComplianceCertificate,
    Finding,
    ForfeitureCase,
    ReviewCycle,
)
from licensing.models import LicenceAgreement
from members.models import (
    Application,
    ApplicationDocument,
    Invitation,
    KeyPerson,
    Member,
    Membership,
)
from members.selectors import with_consent_status
from screening import selectors as screening_selectors

SECTION_ROWS = 50
TIMELINE_PAGE = 200


@dataclass(frozen=True)
class Rows:
    """The newest rows of a part of the page, and whether older ones were left out."""

    items: list[Any]
    more: bool


def _newest(queryset: QuerySet[Any], limit: int = SECTION_ROWS) -> Rows:
    rows = list(queryset[: limit + 1])
    return Rows(items=rows[:limit], more=len(rows) > limit)


def member_for_staff(pk: int) -> Member:
    """The member; DoesNotExist for an unknown one."""
    return Member.objects.get(pk=pk)


def member_licences(member: Member) -> Rows:
    return _newest(
        LicenceAgreement.objects.filter(member=member)
        .select_related("signed_pdf")
        .order_by("-created_at", "-pk")
    )


def member_cycles(member: Member) -> Rows:
    return _newest(
        ReviewCycle.objects.filter(member=member)
        .select_related("licence")
        .order_by("-opened_at", "-pk")
    )


def member_findings(member: Member) -> Rows:
    return _newest(
        Finding.objects.filter(cycle__member=member)
        .select_related("criterion")
        .order_by("-raised_at", "-pk")
    )


def member_cases(member: Member) -> Rows:
    return _newest(
        ForfeitureCase.objects.filter(licence__member=member)
        .select_related("licence", "opened_by", "decided_by")
        .order_by("-opened_at", "-pk")
    )


def member_screening_hits(member: Member) -> Rows:
    return _newest(screening_selectors.hits_of_member(member))


def member_certificates(member: Member) -> Rows:
    return _newest(
        ComplianceCertificate.objects.filter(member=member).order_by("-created_at", "-pk")
    )


def member_application_documents(member: Member) -> Rows:
    return _newest(
        ApplicationDocument.objects.filter(application__member=member)
        .select_related("document", "requirement")
        .order_by("-added_at", "-pk")
    )


def member_team(member: Member) -> list[Membership]:
    """The team is small by nature (a few people per company); it is shown whole, each person
    with their latest personal-data consent (given, withdrawn or never)."""
    return list(
        with_consent_status(member.memberships.select_related("user")).order_by(
            "role", "user__email"
        )
    )


def member_people(member: Member) -> list[KeyPerson]:
    """The member's current owners and key people (a handful by nature): shown whole."""
    return list(
        member.people.filter(ended_at__isnull=True)
        .select_related("document")
        .order_by("role", "name", "pk")
    )


def member_open_invitations(member: Member) -> list[Invitation]:
    return list(
        member.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def member_messages(member: Member) -> Rows:
    return _newest(
        messages_for_member(member.pk)
        .filter(kind=OutboxMessage.Kind.EMAIL)
        .order_by("-created_at", "-pk")
    )


def _ids(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The primary keys as the audit log stores them (text), for a subquery."""
    refs: QuerySet[Any] = queryset.annotate(ref=Cast("pk", output_field=CharField())).values("ref")
    return refs


def _about(model: type[Any], queryset: QuerySet[Any]) -> QuerySet[Any]:
    return (
        AuditEvent.objects.filter(target_type=model._meta.label_lower, target_id__in=_ids(queryset))
        .values("pk")
        .order_by()
    )


def _events_about(member_id: int) -> QuerySet[Any]:
    """The ids of the events about the member or one of its records, one query per kind."""
    about_member = (
        AuditEvent.objects.filter(target_type=Member._meta.label_lower, target_id=str(member_id))
        .values("pk")
        .order_by()
    )
    return about_member.union(
        _about(Application, Application.objects.filter(member=member_id)),
        _about(Membership, Membership.objects.filter(member=member_id)),
        _about(KeyPerson, KeyPerson.objects.filter(member=member_id)),
        _about(Invitation, Invitation.objects.filter(member=member_id)),
        _about(LicenceAgreement, LicenceAgreement.objects.filter(member=member_id)),
        _about(ReviewCycle, ReviewCycle.objects.filter(member=member_id)),
        _about(Finding, Finding.objects.filter(cycle__member=member_id)),
        _about(ForfeitureCase, ForfeitureCase.objects.filter(licence__member=member_id)),
        _about(ComplianceCertificate, ComplianceCertificate.objects.filter(member=member_id)),
        _about(AuditorGrant, AuditorGrant.objects.filter(member=member_id)),
    )


# A member id no member has: the union is compiled once for it, and each view puts the
# member's own id where it stands among the parameters.
_ANY_MEMBER = -7_319_004_211


@functools.cache
def _events_about_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    return _events_about(_ANY_MEMBER).query.sql_with_params()


def member_audit_events(member: Member) -> QuerySet[AuditEvent]:
    """Every audit event about the member or one of its records: its applications, team,
    licences, review cycles, findings, cases, certificates and auditor grants.

    Each kind of record is read apart, by its index, and the events kept are their union: with
    the kinds OR-ed in one condition PostgreSQL walked the whole log from its newest event to
    fill a page (1.4 s at 2 million events). The union is compiled once per process (building
    its eleven queries took 5 ms a view)."""
    sql, params = _events_about_sql(connection.vendor)
    own = {_ANY_MEMBER: member.pk, str(_ANY_MEMBER): str(member.pk)}
    return AuditEvent.objects.filter(
        # The SQL is the ORM's own, compiled above; only the parameters change.
        pk__in=RawSQL(sql, tuple(own.get(value, value) for value in params))  # noqa: S611
    )


def member_timeline(member: Member, *, before: int | None = None) -> Rows:
    """One page of the member's audit trail, newest first; ``before`` an event id for the
    older pages (ids follow insertion; rows just written have no sequence number yet)."""
    events = member_audit_events(member)
    if before is not None:
        events = events.filter(id__lt=before)
    return _newest(events.order_by("-id"), TIMELINE_PAGE)
