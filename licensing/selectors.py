from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from members.models import User

from .models import (
    Criterion,
    CriterionChange,
    CriterionMapping,
    GuidelinesAcknowledgement,
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


COUNTRY_NAME_MIN = 3  # shorter queries are country codes, not parts of a name


def _countries_named(query: str) -> list[str]:
    """The country codes a query names: a code, or (from three letters) a part of a
    country's name in the reader's language (django-countries translates its list once per
    language)."""
    codes = {query.upper()} if len(query) == 2 else set()
    if len(query) >= COUNTRY_NAME_MIN:
        needle = query.casefold()
        codes |= {code for code, name in countries if needle in str(name).casefold()}
    return sorted(codes)


def public_register(query: str = "") -> QuerySet[LicenceAgreement]:
    """Members in good standing who agreed to be listed, searched by name, licence number or
    country; in a stable order (name, then licence) so pages never overlap."""
    licences = LicenceAgreement.objects.filter(
        in_good_standing(), member__public_listing_consent=True
    ).select_related("member")
    query = query.strip()
    if query:
        licences = licences.filter(
            Q(member__legal_name__icontains=query)
            | Q(number__iexact=query)
            | Q(member__country__in=_countries_named(query))
        )
    return licences.order_by("member__legal_name", "pk")


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


# --- Editions: the mapping from the previous edition, and members' acknowledgements -----


def previous_edition(version: GuidelinesVersion) -> GuidelinesVersion | None:
    """The published edition this one follows: the latest adopted before it."""
    return (
        GuidelinesVersion.objects.filter(
            published_at__isnull=False, adopted_on__lte=version.adopted_on
        )
        .exclude(pk=version.pk)
        .order_by("-adopted_on", "-pk")
        .first()
    )


def edition_mappings(version: GuidelinesVersion) -> QuerySet[CriterionMapping]:
    return CriterionMapping.objects.filter(version=version).select_related(
        "criterion__section", "previous__section"
    )


def edition_mapping_problems(version: GuidelinesVersion) -> list[str]:
    """What the mapping from the previous edition still lacks (empty when complete, and for
    a first edition, which follows none)."""
    before = previous_edition(version)
    if before is None:
        return []
    criteria = list(Criterion.objects.filter(section__version=version))
    old = list(Criterion.objects.filter(section__version=before))
    mappings = list(edition_mappings(version))
    mapped_new = {m.criterion_id for m in mappings if m.criterion_id}
    accounted_old = {m.previous_id for m in mappings if m.previous_id}
    removed = {m.previous_id for m in mappings if m.change == CriterionChange.REMOVED}
    kept = {m.previous_id for m in mappings if m.change != CriterionChange.REMOVED}
    old_ids = {c.pk for c in old}
    problems = []
    unmapped = [c.code for c in criteria if c.pk not in mapped_new]
    if unmapped:
        problems.append(
            _(
                "Say for %(codes)s whether it is the same as, changed from or new to the %(edition)s."
            )
            % {"codes": ", ".join(unmapped), "edition": before.edition_name}
        )
    missing = [c.code for c in old if c.pk not in accounted_old]
    if missing:
        problems.append(
            _(
                "Say what became of %(codes)s of the %(edition)s: the same or changed as a "
                "criterion of this edition, or removed."
            )
            % {"codes": ", ".join(missing), "edition": before.edition_name}
        )
    strangers = sorted(
        {m.previous.code for m in mappings if m.previous_id and m.previous_id not in old_ids}  # type: ignore[union-attr]
    )
    if strangers:
        problems.append(
            _("The mapping names criteria that are not in the %(edition)s: %(codes)s.")
            % {"codes": ", ".join(strangers), "edition": before.edition_name}
        )
    both = sorted(c.code for c in old if c.pk in removed and c.pk in kept)
    if both:
        problems.append(
            _("%(codes)s cannot be both removed and kept.") % {"codes": ", ".join(both)}
        )
    return problems


def edition_for_new_cycle(
    licence: LicenceAgreement, latest: GuidelinesVersion | None = None
) -> GuidelinesVersion:
    """The edition a review opened now attests to: the latest published, unless the licence
    incorporates a later one. ``latest``: the latest published, when the caller read it
    already (a batch of reviews)."""
    latest = latest or latest_published_guidelines()
    incorporated = licence.guidelines
    if latest is None or latest.adopted_on < incorporated.adopted_on:
        return incorporated
    return latest


def acknowledgement_of(member_id: int, version_id: int) -> GuidelinesAcknowledgement | None:
    return (
        GuidelinesAcknowledgement.objects.select_related("user")
        .filter(member_id=member_id, version_id=version_id)
        .first()
    )


def acknowledgement_pending(licence: LicenceAgreement, version_id: int) -> bool:
    """A member attests to an edition its licence did not incorporate only once one of its
    signatories has acknowledged it."""
    if version_id == licence.guidelines_id:
        return False
    return not GuidelinesAcknowledgement.objects.filter(
        member_id=licence.member_id, version_id=version_id
    ).exists()


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
