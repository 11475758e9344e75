import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from alliance_portal import text_limits
from alliance_portal.email_addresses import (
    LOOKALIKE_MESSAGE,
    email_address_is_lookalike,
    email_address_normalize,
)
from alliance_portal.search_indexes import trigram_index
from alliance_portal.states import Transition


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Zero-width characters and compatibility forms out, then Django's (lower-case domain).
        return super().normalize_email(email_address_normalize(email or ""))

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mail addresses are one login whatever their case.
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: member users, staff and auditors alike. The e-mail is the login."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Language of the e-mails the portal sends to this person."),
    )
    # Read by alliance_portal.notifications (by name: that app sits below this one).
    email_delivery = models.CharField(
        _("e-mail delivery"),
        max_length=12,
        choices=[("immediate", _("Each message at once")), ("daily", _("A daily digest"))],
        default="immediate",
        help_text=_("Legal notices and decisions are always sent at once."),
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Customer policy staff: may sign in to the administration."),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Deactivate people instead of deleting them: the audit log refers to them."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        indexes = [
            models.Index(fields=["email"], name="user_email_idx"),
            trigram_index("email", name="user_email_trgm"),
            trigram_index("full_name", name="user_full_name_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="members_user_email_ci_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)
        if email_address_is_lookalike(self.email, exclude_pk=self.pk):
            raise ValidationError({"email": ValidationError(LOOKALIKE_MESSAGE, code="lookalike")})

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class RiskRating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Member(models.Model):
    """A company holding (or having held) the ALLIANCE licence: an approved applicant."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=100)
    country = CountryField(_("country"))
    address = models.TextField(
        _("registered address"),
        max_length=text_limits.ADDRESS,
        validators=[MaxLengthValidator(text_limits.ADDRESS)],
    )
    website = models.URLField(_("website"), blank=True)
    kp_registration = models.CharField(_("Kimberley Process registration"), max_length=100)
    contract_reference = models.CharField(_("long-term contract reference"), max_length=100)
    risk_rating = models.CharField(_("risk rating"), max_length=10, choices=RiskRating.choices)
    public_listing_consent = models.BooleanField(
        _("listed in the public register"),
        default=False,
        help_text=_("The member agrees to appear in the public register while in good standing."),
    )
    former_names = models.TextField(
        _("former names"),
        blank=True,
        max_length=text_limits.NOTE,
        validators=[MaxLengthValidator(text_limits.NOTE)],
        help_text=_("One per line: names the company was registered under before."),
    )
    no_owner_reason = models.TextField(
        # xgettext:no-python-format
        _("why no person owns 25 % or more"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
        help_text=_(
            # xgettext:no-python-format
            "Given instead of beneficial owners when no natural person owns or controls 25 % or more."
        ),
    )
    approved_at = models.DateTimeField(_("approved at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # What the admin's search reads: one column and one trigram index instead of four (the
    # planner reads four OR-ed indexes by scanning the table).
    search_text = models.GeneratedField(
        expression=Concat(
            "legal_name",
            Value(" "),
            "registration_number",
            Value(" "),
            "kp_registration",
            Value(" "),
            "contract_reference",
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["legal_name"]
        indexes = [
            models.Index(fields=["legal_name", "id"], name="member_name_idx"),
            trigram_index("legal_name", name="member_legal_name_trgm"),
            trigram_index("search_text", name="member_search_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                "country",
                Lower("registration_number"),
                name="member_registration_unique",
                violation_error_message=_(
                    "A member with this registration number in this country already exists."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(risk_rating__in=RiskRating.values),
                name="member_risk_rating_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class Role(models.TextChoices):
    SIGNATORY = "signatory", _("Signatory")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    """A person acting for a member company, with one role."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="memberships"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["member__legal_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "member"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.member} ({self.get_role_display()})"


class Invitation(models.Model):
    """An invitation to join a member's team. Only the token's hash is stored."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.member}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class DocumentRequirement(models.Model):
    """A kind of document an applicant must (or may) provide. Data, kept by staff."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    help_en = models.TextField(
        _("guidance (English)"),
        blank=True,
        max_length=text_limits.NOTE,
        validators=[MaxLengthValidator(text_limits.NOTE)],
    )
    help_ru = models.TextField(
        _("guidance (Russian)"),
        blank=True,
        max_length=text_limits.NOTE,
        validators=[MaxLengthValidator(text_limits.NOTE)],
    )
    required = models.BooleanField(_("required"), default=True)
    active = models.BooleanField(_("asked for"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    expires = models.BooleanField(
        _("expires"),
        default=False,
        help_text=_(
            "The document is valid for a time: members give its issue date and expiry, are "
            "reminded before it expires and must replace it then."
        ),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("default validity (months)"),
        null=True,
        blank=True,
        help_text=_("Pre-fills the expiry from the issue date; members may give another."),
    )

    class Meta:
        verbose_name = _("document requirement")
        verbose_name_plural = _("document requirements")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(validity_months__isnull=True)
                | models.Q(validity_months__gte=1, validity_months__lte=120),
                name="requirement_validity_months_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_ru if translation.get_language() == "ru" else self.title_en

    @property
    def help(self) -> str:
        return self.help_ru if translation.get_language() == "ru" else self.help_en


def field_label(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


_S = ApplicationStatus
# The one place the application's lifecycle is declared; only members.services moves it.
APPLICATION_TRANSITIONS: dict[str, Transition] = {
    "submit": Transition.of({_S.DRAFT}, _S.SUBMITTED),
    "start_review": Transition.of({_S.SUBMITTED}, _S.UNDER_REVIEW),
    "request_information": Transition.of({_S.UNDER_REVIEW}, _S.INFORMATION_REQUESTED),
    "resubmit": Transition.of({_S.INFORMATION_REQUESTED}, _S.UNDER_REVIEW),
    "approve": Transition.of({_S.UNDER_REVIEW}, _S.APPROVED),
    "reject": Transition.of({_S.UNDER_REVIEW, _S.INFORMATION_REQUESTED}, _S.REJECTED),
    "withdraw": Transition.of(
        {_S.DRAFT, _S.SUBMITTED, _S.UNDER_REVIEW, _S.INFORMATION_REQUESTED}, _S.WITHDRAWN
    ),
}
EDITABLE_STATUSES = frozenset({_S.DRAFT, _S.INFORMATION_REQUESTED})
OPEN_STATUSES = frozenset({_S.SUBMITTED, _S.UNDER_REVIEW, _S.INFORMATION_REQUESTED})


class Application(models.Model):
    """A company's application to become a licensee, with the data and documents it gives."""

    applicant = models.ForeignKey(
        User, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="applications"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        help_text=_("Set when the application is approved."),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=ApplicationStatus.choices, default=_S.DRAFT
    )

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    address = models.TextField(
        _("registered address"),
        blank=True,
        max_length=text_limits.ADDRESS,
        validators=[MaxLengthValidator(text_limits.ADDRESS)],
    )
    website = models.URLField(_("website"), blank=True)
    kp_registration = models.CharField(
        _("Kimberley Process registration"), max_length=100, blank=True
    )
    contract_reference = models.CharField(
        _("long-term contract reference"), max_length=100, blank=True
    )
    is_long_term_client = models.BooleanField(
        _("The company buys rough diamonds from ALROSA under a long-term contract."),
        null=True,
        blank=True,
    )
    trades_only_kp_certified = models.BooleanField(
        _("The company trades only in rough diamonds covered by Kimberley Process certificates."),
        null=True,
        blank=True,
    )
    free_of_sanctions = models.BooleanField(
        _("Neither the company nor its owners are subject to sanctions."), null=True, blank=True
    )
    accepts_guidelines = models.BooleanField(
        _(
            "The company will follow the ALROSA ALLIANCE Guidelines on Responsible Business Practices."
        ),
        null=True,
        blank=True,
    )
    public_listing_consent = models.BooleanField(
        _("List the company in the public register of members once licensed."), default=False
    )
    former_names = models.TextField(
        _("former names"),
        blank=True,
        max_length=text_limits.NOTE,
        validators=[MaxLengthValidator(text_limits.NOTE)],
        help_text=_("One per line: names the company was registered under before."),
    )
    no_owner_reason = models.TextField(
        # xgettext:no-python-format
        _("why no person owns 25 % or more"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
        help_text=_(
            # xgettext:no-python-format
            "Given instead of beneficial owners when no natural person owns or controls 25 % or more."
        ),
    )

    # The reviewer's checklist.
    check_identity = models.BooleanField(_("company identity verified"), default=False)
    check_kp = models.BooleanField(_("Kimberley Process registration verified"), default=False)
    check_sanctions = models.BooleanField(_("sanctions screening clear"), default=False)
    check_financials = models.BooleanField(_("financial statements reviewed"), default=False)
    check_aml = models.BooleanField(_("AML/KYC policy reviewed"), default=False)
    # Set by sanctions screening while a match on the company or its people is unresolved or
    # confirmed: the application cannot be approved. Never shown to the applicant.
    screening_hold = models.BooleanField(_("held by sanctions screening"), default=False)

    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decision_reason = models.TextField(
        _("reason for the decision"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    # Who took the application under review: its owner in the staff's "my work" queues.
    review_started_by = models.ForeignKey(
        User,
        verbose_name=_("review started by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # The 30-day target may be extended once, up to 90 days from submission, with a reason
    # the applicant reads.
    review_extended_until = models.DateField(_("review extended until"), null=True, blank=True)
    review_extension_reason = models.TextField(
        _("reason for the extension"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    review_extended_at = models.DateTimeField(_("review extended at"), null=True, blank=True)
    review_extended_by = models.ForeignKey(
        User,
        verbose_name=_("review extended by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_S.APPROVED) | models.Q(member__isnull=False),
                name="application_approved_has_member",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="application_queue_idx"),
            models.Index(fields=["-created_at"], name="application_created_idx"),
            trigram_index("legal_name", name="application_legal_name_trgm"),
            trigram_index("registration_number", name="application_registration_trgm"),
        ]

    def __str__(self) -> str:
        return self.legal_name or gettext("Application #%(pk)s") % {"pk": self.pk}

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def review_due_at(self) -> datetime | None:
        """The 30-day review target, counted from the first submission."""
        if self.submitted_at is None:
            return None
        return self.submitted_at + timedelta(days=settings.ALLIANCE_APPLICATION_REVIEW_DAYS)

    @property
    def review_due_on(self) -> date | None:
        """The day the review should be decided by: the extended target if staff extended it."""
        if self.review_extended_until is not None:
            return self.review_extended_until
        if self.review_due_at is None:
            return None
        return timezone.localdate(self.review_due_at)

    @property
    def review_max_on(self) -> date | None:
        """The latest an extension may reach: 90 days from the first submission."""
        if self.submitted_at is None:
            return None
        return timezone.localdate(self.submitted_at) + timedelta(
            days=settings.ALLIANCE_APPLICATION_REVIEW_MAX_DAYS
        )

    @property
    def review_days_left(self) -> int | None:
        due = self.review_due_on
        if due is None or self.status not in OPEN_STATUSES:
            return None
        return (due - timezone.localdate()).days


class PersonRole(models.TextChoices):
    OWNER = "owner", _("Beneficial owner")
    DIRECTOR = "director", _("Director")
    SIGNATORY = "signatory", _("Authorised signatory")


class PersonReview(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for correction")


# The one place a member-side change's review is declared; only members.services moves it.
# A change is reviewed once: what staff returned is corrected by a new change, not re-reviewed.
_R = PersonReview
PERSON_REVIEW_TRANSITIONS: dict[str, Transition] = {
    "accept": Transition.of({_R.PENDING}, _R.ACCEPTED),
    "return": Transition.of({_R.PENDING}, _R.RETURNED),
}


def is_latin_script(text: str) -> bool:
    """Whether every letter of ``text`` is a Latin letter (with or without diacritics)."""
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in text if ch.isalpha())


class KeyPerson(models.Model):
    """A beneficial owner or key person of an applicant or a member.

    Rows are versions: a change ends the current row (``ended_at``) and adds a new one that
    ``replaces`` it, so the history stays. An applicant's people are copied to the member when
    the application is approved. Screening reads the current rows (``ended_at`` is null).
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="people",
        null=True,
        blank=True,
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="people",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=16, choices=PersonRole.choices)
    name = models.CharField(
        _("full name"), max_length=200, help_text=_("As written in the passport, in its script.")
    )
    name_latin = models.CharField(_("full name in Latin letters"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    nationality = CountryField(_("nationality"), blank=True)
    country_of_residence = CountryField(_("country of residence"), blank=True)
    ownership_percent = models.DecimalField(
        _("share owned (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    control = models.CharField(
        _("kind of control"),
        max_length=200,
        blank=True,
        help_text=_("How the person controls the company if not (only) through shares."),
    )
    document = models.ForeignKey(
        "alliance_portal.Document",
        verbose_name=_("supporting document"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        related_name="replaced_by",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    review_status = models.CharField(
        _("review"), max_length=16, choices=PersonReview.choices, default=PersonReview.PENDING
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    review_comment = models.TextField(
        _("review comment"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key people")
        ordering = ["role", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=PersonRole.values), name="keyperson_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(review_status__in=PersonReview.values),
                name="keyperson_review_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | models.Q(member__isnull=False),
                name="keyperson_has_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(ownership_percent__isnull=True)
                | models.Q(ownership_percent__gte=0, ownership_percent__lte=100),
                name="keyperson_share_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "ended_at"], name="keyperson_member_idx"),
            models.Index(fields=["application", "ended_at"], name="keyperson_application_idx"),
            # The staff queue of member-side changes waiting for review.
            models.Index(
                fields=["created_at"],
                condition=models.Q(review_status="pending", member__isnull=False),
                name="keyperson_review_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The review is this row's state: the admin's workflow buttons read it as ``status``.
    @property
    def status(self) -> str:
        return self.review_status

    def get_status_display(self) -> str:
        return str(self.get_review_status_display())

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[ValidationError]] = {}

        def refuse(field: str, message: Any, code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

        self.name = (self.name or "").strip()
        self.name_latin = (self.name_latin or "").strip()
        if self.name and not is_latin_script(self.name) and not self.name_latin:
            refuse(
                "name_latin",
                _("The name is not in Latin letters: give it as in the passport's Latin line."),
                "latin_required",
            )
        if self.name_latin and not is_latin_script(self.name_latin):
            refuse("name_latin", _("Use Latin letters only."), "latin_only")
        if self.date_of_birth is not None and self.date_of_birth > timezone.localdate():
            refuse("date_of_birth", _("The date of birth cannot be in the future."), "future")
        share = self.ownership_percent
        if share is not None and not Decimal(0) <= share <= Decimal(100):
            refuse("ownership_percent", _("A share is between 0 and 100 %."), "share_range")
        if self.role == PersonRole.OWNER:
            self.control = (self.control or "").strip()
            if (share is None or share < Decimal(25)) and not self.control:
                refuse(
                    "ownership_percent",
                    _(
                        # xgettext:no-python-format
                        "A beneficial owner holds 25 % or more, or controls the company "
                        "otherwise: give the share or the kind of control."
                    ),
                    "not_an_owner",
                )
        if errors:
            raise ValidationError(errors)


class InformationRequest(models.Model):
    """Staff ask the applicant for more; the applicant answers and resubmits."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="information_requests",
    )
    message = models.TextField(
        _("what is needed"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    answer = models.TextField(
        _("answer"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return Truncator(self.message).chars(60)


class ApplicationDocument(models.Model):
    """A document given with an application, for one of the requirements."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    requirement = models.ForeignKey(
        DocumentRequirement,
        verbose_name=_("requirement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    document = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["requirement__position", "added_at"]

    def __str__(self) -> str:
        return str(self.document)


class MemberDocument(models.Model):
    """A member's document for one requirement: those of its approved application (copied on
    approval) and every newer one the member uploaded since. The latest per requirement is
    the member's current document; an older one is replaced and no longer counts."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="documents"
    )
    requirement = models.ForeignKey(
        DocumentRequirement,
        verbose_name=_("requirement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    document = models.ForeignKey(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("from the application"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    added_by = models.ForeignKey(
        User,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("member document")
        verbose_name_plural = _("member documents")
        ordering = ["requirement__position", "-added_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "document"], name="member_document_once"),
        ]
        indexes = [
            models.Index(fields=["member", "requirement", "added_at"], name="member_document_idx")
        ]

    def __str__(self) -> str:
        return str(self.document)


class DataConsent(models.Model):
    """A person's consent to the processing of their personal data: its own record, apart
    from the licence agreement — the text as shown (and its hash), when, from where — and
    its withdrawal. A person has at most one consent in force; giving it again after a
    withdrawal is a new record."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="data_consents"
    )
    wording = models.TextField(_("text consented to"))
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_ip = models.GenericIPAddressField(
        _("withdrawn from IP address"), null=True, blank=True
    )
    withdrawal_user_agent = models.CharField(
        _("withdrawn from browser"), max_length=500, blank=True
    )

    class Meta:
        verbose_name = _("personal-data consent")
        verbose_name_plural = _("personal-data consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="data_consent_one_in_force",
                violation_error_message=_("This person's consent is already recorded."),
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True)
                | models.Q(withdrawn_at__gte=models.F("given_at")),
                name="data_consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.given_at:%Y-%m-%d %H:%M}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None
