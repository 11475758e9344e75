from datetime import date

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance_portal import text_limits
from alliance_portal.search_indexes import trigram_index
from alliance_portal.states import Transition
from members.models import Member


def _localised(obj: object, field: str) -> str:
    suffix = "ru" if translation.get_language() == "ru" else "en"
    return str(getattr(obj, f"{field}_{suffix}") or getattr(obj, f"{field}_en"))


# An edition is named in English when it is published (its `edition`, also its key); its name
# in the reader's language comes from the catalogue. An edition not listed shows its own name.
EDITION_NAMES = {
    "2nd edition": pgettext_lazy("Guidelines edition", "2nd edition"),
    "3rd edition": pgettext_lazy("Guidelines edition", "3rd edition"),
}


class GuidelinesVersion(models.Model):
    """An edition of the ALROSA ALLIANCE Guidelines. Immutable once published."""

    edition = models.CharField(_("edition"), max_length=50, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    adopted_on = models.DateField(_("adopted on"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Guidelines edition")
        verbose_name_plural = _("Guidelines editions")
        ordering = ["-adopted_on"]

    def __str__(self) -> str:
        return f"{self.title} ({self.edition_name})"

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def edition_name(self) -> str:
        return str(EDITION_NAMES.get(self.edition, self.edition))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class GuidelinesSection(models.Model):
    version = models.ForeignKey(
        GuidelinesVersion, on_delete=models.PROTECT, related_name="sections"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)

    class Meta:
        verbose_name = _("Guidelines section")
        verbose_name_plural = _("Guidelines sections")
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="section_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def title(self) -> str:
        return _localised(self, "title")


class Criterion(models.Model):
    """One requirement of the Guidelines that a member attests to, with the evidence expected."""

    section = models.ForeignKey(
        GuidelinesSection, on_delete=models.PROTECT, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=10)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    description_en = models.TextField(
        _("description (English)"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    description_ru = models.TextField(
        _("description (Russian)"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    evidence_en = models.TextField(
        _("evidence expected (English)"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    evidence_ru = models.TextField(
        _("evidence expected (Russian)"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Set with the criterion while its edition is written, like its text (fixed once published).
    evidence_expires = models.BooleanField(
        _("evidence expires"),
        default=False,
        help_text=_("The evidence is valid for a time (a registration, a policy, an audit)."),
    )
    evidence_validity_months = models.PositiveSmallIntegerField(
        _("default validity of the evidence (months)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["section__number", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["section", "code"], name="criterion_code_unique"),
            models.CheckConstraint(
                condition=models.Q(evidence_validity_months__isnull=True)
                | models.Q(evidence_validity_months__gte=1, evidence_validity_months__lte=120),
                name="criterion_validity_months_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def description(self) -> str:
        return _localised(self, "description")

    @property
    def evidence(self) -> str:
        return _localised(self, "evidence")


class AgreementTemplate(models.Model):
    """The licence terms, versioned. Its text may use the placeholders of
    ``licensing.agreement.PLACEHOLDERS``; it cannot change once a licence uses it."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        max_length=text_limits.AGREEMENT,
        validators=[MaxLengthValidator(text_limits.AGREEMENT)],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    first_used_at = models.DateTimeField(_("first used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement template")
        verbose_name_plural = _("agreement templates")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_used(self) -> bool:
        return self.first_used_at is not None


class LicenceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued, awaiting signature")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    FORFEITED = "forfeited", _("Forfeited")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")
    # Not the application's "Withdrawn": a licence withdrawn before it was signed.
    WITHDRAWN = "withdrawn", pgettext_lazy("licence status", "Withdrawn")


_L = LicenceStatus
# The one place the licence's lifecycle is declared; only licensing.services moves it.
LICENCE_TRANSITIONS: dict[str, Transition] = {
    "issue": Transition.of({_L.DRAFT}, _L.ISSUED),
    "withdraw": Transition.of({_L.ISSUED}, _L.WITHDRAWN),
    "sign": Transition.of({_L.ISSUED}, _L.ACTIVE),
    "suspend": Transition.of({_L.ACTIVE}, _L.SUSPENDED),
    "reinstate": Transition.of({_L.SUSPENDED}, _L.ACTIVE),
    "forfeit": Transition.of({_L.ACTIVE, _L.SUSPENDED}, _L.FORFEITED),
    "terminate": Transition.of({_L.ACTIVE, _L.SUSPENDED}, _L.TERMINATED),
    "expire": Transition.of({_L.ACTIVE, _L.SUSPENDED}, _L.EXPIRED),
}
ENDED_STATUSES = frozenset({_L.FORFEITED, _L.EXPIRED, _L.TERMINATED, _L.WITHDRAWN})


class LicenceAgreement(models.Model):
    """The licence of the ALLIANCE logo granted to one member."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="licences"
    )
    template = models.ForeignKey(
        AgreementTemplate, verbose_name=_("terms"), on_delete=models.PROTECT, related_name="+"
    )
    guidelines = models.ForeignKey(
        GuidelinesVersion,
        verbose_name=_("Guidelines edition"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LicenceStatus.choices, default=_L.DRAFT
    )
    term_years = models.PositiveSmallIntegerField(
        _("term in years"), default=3, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        on_delete=models.PROTECT,
        related_name="renewal",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    # Shown on the member's public page ("suspended since"); cleared on reinstatement.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    status_reason = models.TextField(
        _("reason for the last change"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    signed_pdf = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("signed agreement (PDF)"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("licence agreement")
        verbose_name_plural = _("licence agreements")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=LicenceStatus.values), name="licence_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=_L.DRAFT) | models.Q(number__isnull=False),
                name="licence_numbered_once_issued",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[_L.ACTIVE, _L.SUSPENDED])
                | models.Q(starts_on__isnull=False, ends_on__isnull=False),
                name="licence_active_has_term",
            ),
            # One licence in force per member, and at most one waiting for its signature
            # (a renewal may wait while the licence it renews is still in force).
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=[_L.ACTIVE, _L.SUSPENDED]),
                name="licence_one_in_force_per_member",
                violation_error_message=_("This member already has a licence in force."),
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status=_L.ISSUED),
                name="licence_one_awaiting_signature_per_member",
                violation_error_message=_("This member already has a licence to sign."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_on"], name="licence_status_end_idx"),
            models.Index(fields=["-created_at", "-id"], name="licence_created_idx"),
            trigram_index("number", name="licence_number_trgm"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft licence for %(member)s") % {"member": self.member})

    @property
    def is_active(self) -> bool:
        return self.status == _L.ACTIVE

    def days_to_end(self, today: date | None = None) -> int | None:
        if self.ends_on is None:
            return None
        return (self.ends_on - (today or timezone.localdate())).days


class LicenceNumberSequence(models.Model):
    """The last number given each year: AA-YYYY-NNNN is allocated under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("licence number sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Signature(models.Model):
    """The click-wrap signature of a licence and its evidence. Exactly one per licence."""

    licence = models.OneToOneField(
        LicenceAgreement,
        verbose_name=_("licence"),
        on_delete=models.PROTECT,
        related_name="signature",
    )
    signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signatory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    member_name = models.CharField(_("licensee as signed"), max_length=200)
    member_registration = models.CharField(_("registration as signed"), max_length=100)
    typed_name = models.CharField(_("name typed"), max_length=200)
    typed_title = models.CharField(_("title typed"), max_length=200)
    consent_wording = models.TextField(_("consents given"))
    consent_sha256 = models.CharField(_("SHA-256 of the consents"), max_length=64)
    agreement_text = models.TextField(_("agreement text shown"))
    agreement_sha256 = models.CharField(_("SHA-256 of the agreement text"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    authenticated_at = models.DateTimeField(
        _("signatory last authenticated at"),
        null=True,
        blank=True,
        help_text=_(
            "When the signatory last proved who they were (password or second factor) "
            "before signing."
        ),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return f"{self.typed_name} — {self.licence}"


class CriterionChange(models.TextChoices):
    """How a criterion of an edition relates to the edition before it."""

    SAME = "same", pgettext_lazy("criterion change", "Same")
    CHANGED = "changed", pgettext_lazy("criterion change", "Changed")
    NEW = "new", pgettext_lazy("criterion change", "New")
    REMOVED = "removed", pgettext_lazy("criterion change", "Removed")


_M = CriterionChange


class CriterionMapping(models.Model):
    """One line of the mapping from the previous edition to an edition being written: a new
    criterion the same as, changed from, or new to the previous edition's, or a previous
    criterion removed. Staff complete it before publishing; publishing refuses a gap. Cycles
    under the new edition carry forward the answers of the "same" criteria."""

    version = models.ForeignKey(
        GuidelinesVersion,
        verbose_name=_("edition"),
        on_delete=models.CASCADE,
        related_name="mappings",
    )
    change = models.CharField(_("change"), max_length=8, choices=CriterionChange.choices)
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion of this edition"),
        on_delete=models.CASCADE,
        related_name="mapped_from",
        null=True,
        blank=True,
    )
    previous = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion of the previous edition"),
        on_delete=models.PROTECT,
        related_name="mapped_to",
        null=True,
        blank=True,
    )
    note = models.CharField(_("what changed"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("criterion mapping")
        verbose_name_plural = _("criterion mappings")
        ordering = ["version", "criterion__section__number", "criterion__position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(change__in=CriterionChange.values),
                name="mapping_change_valid",
            ),
            # new: no previous criterion; removed: no new one; same or changed: both.
            models.CheckConstraint(
                condition=(
                    models.Q(change=_M.NEW, previous__isnull=True, criterion__isnull=False)
                    | models.Q(change=_M.REMOVED, previous__isnull=False, criterion__isnull=True)
                    | models.Q(
                        change__in=[_M.SAME, _M.CHANGED],
                        previous__isnull=False,
                        criterion__isnull=False,
                    )
                ),
                name="mapping_sides_match_change",
                violation_error_message=_(
                    "“Same” and “changed” name a criterion of each edition, “new” only one of "
                    "this edition, “removed” only one of the previous edition."
                ),
            ),
            models.UniqueConstraint(
                fields=["criterion"],
                name="mapping_once_per_criterion",
                violation_error_message=_("This criterion is already mapped."),
            ),
            models.UniqueConstraint(
                fields=["version", "previous"],
                condition=models.Q(change=_M.REMOVED),
                name="mapping_removed_once",
                violation_error_message=_("This criterion is already listed as removed."),
            ),
        ]

    def __str__(self) -> str:
        new = self.criterion.code if self.criterion_id else "—"  # type: ignore[union-attr]
        old = self.previous.code if self.previous_id else "—"  # type: ignore[union-attr]
        return f"{old} → {new} ({self.get_change_display()})"


class GuidelinesAcknowledgement(models.Model):
    """A signatory acknowledging, for their company, a Guidelines edition its licence did not
    incorporate, before attesting to it: recorded like a declaration."""

    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="guidelines_acknowledgements",
    )
    version = models.ForeignKey(
        GuidelinesVersion,
        verbose_name=_("edition"),
        on_delete=models.PROTECT,
        related_name="acknowledgements",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    typed_name = models.CharField(_("name typed"), max_length=200)
    statement = models.TextField(_("statement"))
    statement_sha256 = models.CharField(_("SHA-256 of the statement"), max_length=64)
    acknowledged_at = models.DateTimeField(_("acknowledged at"))
    authenticated_at = models.DateTimeField(
        _("signatory last authenticated at"), null=True, blank=True
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Guidelines acknowledgement")
        verbose_name_plural = _("Guidelines acknowledgements")
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "version"],
                name="acknowledgement_once_per_member_edition",
                violation_error_message=_("The company has already acknowledged this edition."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.version.edition_name}"


class LogoUseMedium(models.TextChoices):
    PACKAGING = "packaging", _("Packaging or labels")
    PRINT = "print", _("Printed matter (brochures, catalogues)")
    WEBSITE = "website", _("Website")
    SOCIAL = "social", _("Social media")
    EVENT = "event", _("Trade show or event")
    ADVERTISING = "advertising", _("Advertising")
    OTHER = "other", _("Other")


class LogoUseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


_U = LogoUseStatus
# The one place a planned use's lifecycle is declared; only licensing.logo_uses moves it.
LOGO_USE_TRANSITIONS: dict[str, Transition] = {
    "approve": Transition.of({_U.SUBMITTED}, _U.APPROVED),
    "reject": Transition.of({_U.SUBMITTED}, _U.REJECTED),
}


class LogoUse(models.Model):
    """A use of the logo a member plans (artwork, medium, market, dates), approved or rejected
    by staff before it appears."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="logo_uses"
    )
    licence = models.ForeignKey(
        LicenceAgreement,
        verbose_name=_("licence"),
        on_delete=models.PROTECT,
        related_name="logo_uses",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    artwork = models.ForeignKey(
        "alliance_portal.Document",
        verbose_name=_("artwork"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    medium = models.CharField(_("medium"), max_length=20, choices=LogoUseMedium.choices)
    markets = models.CharField(
        _("markets or countries"),
        max_length=300,
        help_text=_("Where the logo will appear, e.g. “UAE, India” or “worldwide online”."),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    description = models.TextField(
        _("description"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LogoUseStatus.choices, default=_U.SUBMITTED
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    comments = models.TextField(
        _("staff comments"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )

    class Meta:
        verbose_name = _("logo use")
        verbose_name_plural = _("logo uses")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=LogoUseStatus.values), name="logo_use_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="logo_use_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(status=_U.SUBMITTED)
                | models.Q(decided_at__isnull=False, decided_by__isnull=False),
                name="logo_use_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_U.REJECTED) | ~models.Q(comments=""),
                name="logo_use_rejection_explained",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="logo_use_queue_idx")]

    def __str__(self) -> str:
        return f"{self.member.legal_name}: {self.get_medium_display()} ({self.markets})"


class LogoKitAcceptance(models.Model):
    """A user accepted the logo's rules of use before downloading the kit: which text (its
    hash), when, from where."""

    licence = models.ForeignKey(
        LicenceAgreement,
        verbose_name=_("licence"),
        on_delete=models.PROTECT,
        related_name="logo_kit_acceptances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    rules_sha256 = models.CharField(_("SHA-256 of the rules"), max_length=64)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("acceptance of the logo rules")
        verbose_name_plural = _("acceptances of the logo rules")
        ordering = ["-accepted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} — {self.licence} — {self.accepted_at:%Y-%m-%d %H:%M}"
