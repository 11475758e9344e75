"""Forget cached dashboards when what they show changes (see ``compliance.dashboard``).

One place for every write path: model saves and deletes (services, jobs and the admin alike)
through ``post_save``/``post_delete``, and writes that send no model signal (``bulk_create``,
``queryset.update``, the jobs' raw status updates) through
``alliance_portal.cache_versions.rows_written``, which they announce. The lower apps know
nothing of the dashboard: this module, in the app that renders it, connects to their models.

Each model maps its rows to the companies and people whose dashboards show them; a row that
does not carry them (a finding names its cycle, not its company) costs one query.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save

from alliance_portal.cache_versions import namespaces_bump, rows_written
from alliance_portal.models import Document
from licensing.models import Criterion, LicenceAgreement
from members.models import (
    Application,
    ApplicationDocument,
    DataConsent,
    DocumentRequirement,
    Member,
    MemberDocument,
    Membership,
    User,
)

from .dashboard import DASHBOARDS, member_namespace, user_namespace
from .models import Answer, AnswerEvidence, Finding, ForfeitureCase, ReviewCycle

Scope = tuple[set[int], set[int]]  # (member ids, user ids)


def _members(ids: Iterable[int | None]) -> Scope:
    return {pk for pk in ids if pk is not None}, set()


def _users(ids: Iterable[int | None]) -> Scope:
    return set(), {pk for pk in ids if pk is not None}


def _through(
    rows: list[Any], related: str, lookup: Callable[[set[int]], Iterable[int | None]]
) -> Scope:
    """The companies of rows that name them through ``related`` (a cycle, a licence, an
    answer): from the related row when it is loaded, else looked up in one query."""
    field = rows[0]._meta.get_field(related)
    ids: list[int | None] = []
    missing: set[int] = set()
    for row in rows:
        if field.is_cached(row) and hasattr(getattr(row, related), "member_id"):
            ids.append(getattr(row, related).member_id)
        else:
            missing.add(getattr(row, field.attname))
    if missing:
        ids += list(lookup(missing))
    return _members(ids)


def _applications(rows: list[Any]) -> Scope:
    members, users = set(), set()
    for application in rows:
        members.add(application.member_id)
        users.add(application.applicant_id)
    return members - {None}, users


def _application_documents(rows: list[Any]) -> Scope:
    pairs = Application.objects.filter(pk__in={row.application_id for row in rows}).values_list(
        "member_id", "applicant_id"
    )
    return {m for m, _u in pairs if m is not None}, {u for _m, u in pairs}


def _documents(rows: list[Any]) -> Scope:
    """The companies holding these documents (a new one is held by none yet)."""
    ids = [row.pk for row in rows]
    # Unordered: SQLite refuses an ordered part of a UNION (MemberDocument has an ordering).
    holders = MemberDocument.objects.filter(document_id__in=ids).order_by().values_list("member_id")
    evidence = (
        AnswerEvidence.objects.filter(document_id__in=ids)
        .order_by()
        .values_list("answer__cycle__member_id")
    )
    return _members(member_id for (member_id,) in holders.union(evidence))


SCOPES: dict[type[models.Model], Callable[[list[Any]], Scope]] = {
    User: lambda rows: _users(row.pk for row in rows),
    Membership: lambda rows: _users(row.user_id for row in rows),
    DataConsent: lambda rows: _users(row.user_id for row in rows),
    Member: lambda rows: _members(row.pk for row in rows),
    Application: _applications,
    ApplicationDocument: _application_documents,
    MemberDocument: lambda rows: _members(row.member_id for row in rows),
    LicenceAgreement: lambda rows: _members(row.member_id for row in rows),
    ReviewCycle: lambda rows: _members(row.member_id for row in rows),
    Finding: lambda rows: _through(
        rows,
        "cycle",
        lambda ids: ReviewCycle.objects.filter(pk__in=ids).values_list("member_id", flat=True),
    ),
    ForfeitureCase: lambda rows: _through(
        rows,
        "licence",
        lambda ids: LicenceAgreement.objects.filter(pk__in=ids).values_list("member_id", flat=True),
    ),
    # The answer has no member_id: always looked up (still there when its evidence is
    # deleted, even in a cascade: dependants go first).
    AnswerEvidence: lambda rows: _through(
        rows,
        "answer",
        lambda ids: Answer.objects.filter(pk__in=ids).values_list("cycle__member_id", flat=True),
    ),
    Document: _documents,
}

# Texts every dashboard may show: rare edits, so every dashboard is forgotten.
EVERYONE: tuple[type[models.Model], ...] = (Criterion, DocumentRequirement)


def dashboards_forget(model: type[models.Model], rows: list[Any]) -> None:
    if model in EVERYONE:
        namespaces_bump([DASHBOARDS])
        return
    members, users = SCOPES[model](rows)
    namespaces_bump(
        [*(member_namespace(pk) for pk in members), *(user_namespace(pk) for pk in users)]
    )


# Saves that change nothing a dashboard shows: a sign-in records its time on the user.
UNSHOWN_FIELDS: dict[type[models.Model], frozenset[str]] = {User: frozenset({"last_login"})}


def _saved(
    sender: type[models.Model],
    instance: Any,
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if created and sender is Document:
        return  # held by no company yet: the link that follows is saved in its turn
    if update_fields and update_fields <= UNSHOWN_FIELDS.get(sender, frozenset()):
        return
    dashboards_forget(sender, [instance])


def _deleted(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    dashboards_forget(sender, [instance])


def _written(sender: type[models.Model], rows: list[Any], **kwargs: Any) -> None:
    if sender in SCOPES or sender in EVERYONE:
        dashboards_forget(sender, rows)


def connect() -> None:
    """Called once from the app's ``ready()``."""
    for model in (*SCOPES, *EVERYONE):
        post_save.connect(_saved, sender=model, dispatch_uid=f"dashboard-save-{model.__name__}")
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"dashboard-delete-{model.__name__}"
        )
    rows_written.connect(_written, dispatch_uid="dashboard-rows-written")
