from django.db.models import Q, QuerySet
from django.utils import timezone

from members.models import User

from .models import (
    Criterion,
    GuidelinesSection,
    GuidelinesVersion,
    LicenceAgreement,
    LicenceStatus,
    LogoUse,
)


def licences_visible_to(user: User) -> QuerySet[LicenceAgreement]:
    return LicenceAgreement.objects.filter(member__memberships__user=user).exclude(
        status=LicenceStatus.DRAFT
    )


def licence_for_user(user: User, pk: int) -> LicenceAgreement:
    return (
        licences_visible_to(user)
        .select_related("member", "template", "guidelines", "signature__signatory", "signed_pdf")
        .get(pk=pk)
    )


def licences_for_dashboard(user: User) -> QuerySet[LicenceAgreement]:
    return licences_visible_to(user).select_related("member").order_by("-created_at")


def in_good_standing() -> Q:
    """Active, and within its term (even before the daily job has expired it)."""
    return Q(status=LicenceStatus.ACTIVE, ends_on__gte=timezone.localdate())


def active_licence_of_member_for_user(user: User, member_pk: int) -> LicenceAgreement:
    return (
        licences_visible_to(user)
        .select_related("member")
        .filter(in_good_standing())
        .get(member_id=member_pk)
    )


def guidelines_with_criteria(version: GuidelinesVersion) -> QuerySet[GuidelinesSection]:
    return version.sections.prefetch_related("criteria").order_by("number")


def latest_published_guidelines() -> GuidelinesVersion | None:
    return (
        GuidelinesVersion.objects.filter(published_at__isnull=False).order_by("-adopted_on").first()
    )


def public_register(query: str = "") -> QuerySet[LicenceAgreement]:
    """Members in good standing who agreed to be listed: one query, whatever the size."""
    licences = LicenceAgreement.objects.filter(
        in_good_standing(), member__public_listing_consent=True
    ).select_related("member")
    query = query.strip()
    if query:
        licences = licences.filter(
            Q(member__legal_name__icontains=query)
            | Q(number__iexact=query)
            | Q(member__country__iexact=query)
        )
    return licences.order_by("member__legal_name")


def licences_for_staff() -> QuerySet[LicenceAgreement]:
    return LicenceAgreement.objects.select_related("member", "guidelines").order_by(
        "-created_at", "-pk"
    )


def licences_of_user(user: User) -> QuerySet[LicenceAgreement]:
    """The user's organisations' licences (drafts excluded), joined for a list."""
    return (
        licences_visible_to(user)
        .select_related("member", "guidelines")
        .order_by("-created_at", "-pk")
    )


def criterion_of_edition(version_id: int, code: str) -> Criterion:
    """A criterion of one Guidelines edition by its code; DoesNotExist otherwise."""
    return Criterion.objects.select_related("section").get(
        section__version_id=version_id, code=code
    )


def logo_uses_of_member(member_id: int) -> QuerySet[LogoUse]:
    """A member's planned uses of the logo, newest first (the caller has scoped the member)."""
    return (
        LogoUse.objects.filter(member_id=member_id)
        .select_related("artwork", "decided_by")
        .order_by("-submitted_at", "-pk")
    )


def logo_use_for_user(user: User, member_id: int, pk: int) -> LogoUse:
    """One use of a member the user belongs to; DoesNotExist for anyone else."""
    return (
        LogoUse.objects.filter(member__memberships__user=user, member_id=member_id)
        .select_related("member", "artwork", "submitted_by", "decided_by")
        .get(pk=pk)
    )


def logo_uses_for_staff() -> QuerySet[LogoUse]:
    return LogoUse.objects.select_related("member", "submitted_by").order_by("submitted_at", "pk")


def licence_in_good_standing_of(member_id: int) -> LicenceAgreement | None:
    return (
        LicenceAgreement.objects.filter(in_good_standing(), member_id=member_id)
        .order_by("-starts_on")
        .first()
    )
