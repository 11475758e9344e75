"""Reads for the portal, already scoped to the user and joined for the page that shows them."""

from collections.abc import Collection
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from alliance_portal.roles import STAFF_GROUP

from .models import (
    Application,
    ApplicationDocument,
    DataConsent,
    DocumentRequirement,
    InformationRequest,
    Invitation,
    KeyPerson,
    Member,
    MemberDocument,
    Membership,
    PersonReview,
    User,
)


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Before approval an application is its applicant's; after, it is the member company's
    (so someone who leaves the team loses it)."""
    return Application.objects.filter(
        Q(applicant=user, member__isnull=True) | Q(member__memberships__user=user)
    ).distinct()


def application_for_user(user: User, pk: int) -> Application:
    """One application with everything its page shows; DoesNotExist if not the user's."""
    return (
        applications_visible_to(user)
        .select_related("applicant", "member", "decided_by")
        .prefetch_related(
            Prefetch(
                "documents",
                queryset=ApplicationDocument.objects.select_related("document", "requirement"),
            ),
            Prefetch(
                "information_requests",
                queryset=InformationRequest.objects.order_by("-requested_at"),
            ),
        )
        .get(pk=pk)
    )


def application_document_for_user(
    user: User, application_pk: int, document_pk: str
) -> ApplicationDocument:
    return ApplicationDocument.objects.select_related("document", "application", "requirement").get(
        application__in=applications_visible_to(user).filter(pk=application_pk),
        document_id=document_pk,
    )


def applications_for_dashboard(user: User) -> QuerySet[Application]:
    return (
        applications_visible_to(user)
        .select_related("member")
        .annotate(document_count=Count("documents", distinct=True))
        .order_by("-created_at")
    )


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("member").order_by("member__legal_name")
    )


def member_for_user(user: User, pk: int) -> Member:
    return Member.objects.filter(memberships__user=user).distinct().get(pk=pk)


def membership_in(member: Member, pk: int) -> Membership:
    return member.memberships.select_related("user").get(pk=pk)


def invitation_in(member: Member, pk: int) -> Invitation:
    return member.invitations.get(pk=pk)


def documents_of_member(member: Member) -> QuerySet[ApplicationDocument]:
    return ApplicationDocument.objects.filter(application__member=member).select_related(
        "document", "requirement"
    )


def application_document_for_staff(application_pk: int, document_pk: str) -> ApplicationDocument:
    return ApplicationDocument.objects.select_related("document", "application").get(
        application_id=application_pk, document_id=document_pk
    )


def team_of(member: Member) -> QuerySet[Membership]:
    return member.memberships.select_related("user").order_by("role", "user__email")


def open_invitations_of(member: Member) -> QuerySet[Invitation]:
    return member.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by(
        "-created_at"
    )


def active_requirements() -> QuerySet[DocumentRequirement]:
    return DocumentRequirement.objects.filter(active=True).order_by("position", "code")


def requirement_validity_months() -> dict[str, int]:
    """The usual validity of each requirement that expires, by id (the upload forms' script
    pre-fills the expiry with it)."""
    return {
        str(pk): months or 0
        for pk, months in active_requirements()
        .filter(expires=True, validity_months__isnull=False)
        .values_list("pk", "validity_months")
    }


def people_of(member: Member, roles: list[str]) -> QuerySet[User]:
    """Active users of a member in the given roles: who to e-mail about it."""
    return User.objects.filter(
        is_active=True, memberships__member=member, memberships__role__in=roles
    ).distinct()


def people_of_members(member_ids: list[int], roles: Collection[str]) -> dict[int, list[User]]:
    """:func:`people_of` for many members in one query: member id -> its people."""
    memberships = (
        Membership.objects.filter(member_id__in=member_ids, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("member_id", "user_id")
    )
    people: dict[int, dict[int, User]] = {}
    for membership in memberships:
        people.setdefault(membership.member_id, {})[membership.user_id] = membership.user
    return {member_id: list(users.values()) for member_id, users in people.items()}


def staff_recipients() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=STAFF_GROUP).distinct()


def members_for_staff() -> QuerySet[Member]:
    """Every member, for staff (the API's list; the permission is checked by the caller)."""
    return Member.objects.order_by("legal_name", "pk")


def applications_for_staff() -> QuerySet[Application]:
    """Every application past its draft (a draft is its applicant's own until submitted)."""
    return (
        Application.objects.exclude(status="draft")
        .select_related("applicant")
        .order_by("-created_at", "-pk")
    )


def current_member_documents() -> QuerySet[MemberDocument]:
    """Each member's current document per requirement: the latest one given for it (from the
    approved application, or uploaded since). An older one has been replaced."""
    newer = MemberDocument.objects.filter(
        member=OuterRef("member"), requirement=OuterRef("requirement")
    ).filter(
        Q(added_at__gt=OuterRef("added_at"))
        | Q(added_at=OuterRef("added_at"), pk__gt=OuterRef("pk"))
    )
    return MemberDocument.objects.filter(~Exists(newer))


def member_documents_page(
    member: Member,
) -> list[tuple[DocumentRequirement, MemberDocument | None]]:
    """The member's documents page: every requirement asked for, with its current document."""
    current = {
        link.requirement_id: link
        for link in current_member_documents()
        .filter(member=member)
        .select_related("document", "document__reviewed_by")
    }
    return [(requirement, current.get(requirement.pk)) for requirement in active_requirements()]


def member_document_for_user(user: User, member_pk: int, document_pk: str) -> MemberDocument:
    """One of the member's documents (current or replaced), for a user of that member."""
    return MemberDocument.objects.select_related("document", "requirement", "member").get(
        member__in=Member.objects.filter(memberships__user=user, pk=member_pk),
        document_id=document_pk,
    )


# --- Owners and key people ------------------------------------------------------------------


def current_people_of_application(application: Application) -> QuerySet[KeyPerson]:
    return application.people.filter(ended_at__isnull=True).select_related("document")


def current_people_of_member(member: Member) -> QuerySet[KeyPerson]:
    return member.people.filter(ended_at__isnull=True).select_related("document", "reviewed_by")


def removals_of_member(member: Member) -> QuerySet[KeyPerson]:
    """Removals the member made that staff have not accepted yet (waiting, or returned)."""
    return member.people.filter(
        ended_at__isnull=False,
        replaced_by__isnull=True,
        review_status__in=[PersonReview.PENDING, PersonReview.RETURNED],
    ).order_by("-ended_at", "-pk")


def member_person_for_user(user: User, pk: int) -> KeyPerson:
    """A member's person (any version); DoesNotExist if not of one of the user's members."""
    return (
        KeyPerson.objects.filter(member__memberships__user=user)
        .select_related("member", "document")
        .distinct()
        .get(pk=pk)
    )


def application_person_for_user(user: User, application_pk: int, pk: int) -> KeyPerson:
    return KeyPerson.objects.select_related("application", "document").get(
        application__in=applications_visible_to(user).filter(pk=application_pk), pk=pk
    )


def person_history(person: KeyPerson) -> list[KeyPerson]:
    """Every version of a person, newest first: the chain of ``replaces`` both ways."""
    owner = {"member_id": person.member_id, "application_id": person.application_id}
    rows = {
        row.pk: row
        for row in KeyPerson.objects.filter(**owner).select_related(
            "created_by", "reviewed_by", "document"
        )
    }
    newest = rows.get(person.pk, person)
    successors = {row.replaces_id: row for row in rows.values() if row.replaces_id}
    while newest.pk in successors:
        newest = successors[newest.pk]
    chain = [newest]
    while chain[-1].replaces_id and chain[-1].replaces_id in rows:
        chain.append(rows[chain[-1].replaces_id])
    return chain


def people_changes_for_staff() -> QuerySet[KeyPerson]:
    """Member-side changes waiting for review: the newest version of each (a change replaced
    by a newer one is reviewed through that one)."""
    return KeyPerson.objects.filter(
        member__isnull=False, review_status=PersonReview.PENDING, replaced_by__isnull=True
    )


def consent_in_force(user: User) -> DataConsent | None:
    return (
        DataConsent.objects.filter(user=user, withdrawn_at__isnull=True)
        .order_by("-given_at")
        .first()
    )


def consents_of(user: User) -> QuerySet[DataConsent]:
    return DataConsent.objects.filter(user=user).order_by("-given_at", "-pk")


def with_consent_status(rows: QuerySet[Any], user_path: str = "user") -> QuerySet[Any]:
    """Annotate each row with its person's latest personal-data consent: ``consent_given_at``
    and ``consent_withdrawn_at`` (both None: never given). One query with the rows."""
    latest = DataConsent.objects.filter(user=OuterRef(user_path)).order_by("-given_at", "-pk")
    annotated: QuerySet[Any] = rows.annotate(
        consent_given_at=Subquery(latest.values("given_at")[:1]),
        consent_withdrawn_at=Subquery(latest.values("withdrawn_at")[:1]),
    )
    return annotated
