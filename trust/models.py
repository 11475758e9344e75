"""Public member pages, misuse reports and grievances, logo-use approval (DESIGN §6).

A report comes from the public (no account). Staff triage it: acknowledge, review, then dismiss
it, raise a finding or open a forfeiture case from it (compliance's services), and conclude.
The reporter follows it through a private status link: only the SHA-256 of its token is kept.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.states import Transition
from members.models import Member


class ReportCategory(models.TextChoices):
    LOGO_BY_NON_MEMBER = "logo_non_member", _("The logo is used by a company that is not a member")
    LOGO_AGAINST_RULES = "logo_rules", _("A member uses the logo against the rules")
    MEMBER_PRACTICES = "practices", _("A complaint about a member's practices under the Guidelines")


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    UNDER_REVIEW = "under_review", _("Under review")
    DISMISSED = "dismissed", _("Dismissed")
    FINDING_RAISED = "finding_raised", _("Finding raised")
    CASE_OPENED = "case_opened", _("Case opened")
    CONCLUDED = "concluded", _("Concluded")


_R = ReportStatus
# The one place a report's lifecycle is declared; only trust.services moves it. An appeal (one
# per report, by the reporter) takes a dismissed or concluded report back under review.
REPORT_TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition.of({_R.NEW}, _R.ACKNOWLEDGED),
    "start_review": Transition.of({_R.ACKNOWLEDGED}, _R.UNDER_REVIEW),
    "dismiss": Transition.of({_R.ACKNOWLEDGED, _R.UNDER_REVIEW}, _R.DISMISSED),
    "raise_finding": Transition.of({_R.ACKNOWLEDGED, _R.UNDER_REVIEW}, _R.FINDING_RAISED),
    "open_case": Transition.of({_R.ACKNOWLEDGED, _R.UNDER_REVIEW}, _R.CASE_OPENED),
    "conclude": Transition.of({_R.UNDER_REVIEW, _R.FINDING_RAISED, _R.CASE_OPENED}, _R.CONCLUDED),
    "appeal": Transition.of({_R.DISMISSED, _R.CONCLUDED}, _R.UNDER_REVIEW),
}
# What the reporter's status page says: received, under review or concluded.
CLOSED_STATUSES = frozenset({_R.DISMISSED, _R.CONCLUDED})
OPEN_STATUSES = [s for s in ReportStatus.values if s not in CLOSED_STATUSES]


class PublicStage(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    CONCLUDED = "concluded", _("Concluded")


def public_stage(status: str) -> PublicStage:
    if status == _R.NEW:
        return PublicStage.RECEIVED
    if status in CLOSED_STATUSES:
        return PublicStage.CONCLUDED
    return PublicStage.UNDER_REVIEW


class Report(models.Model):
    """A report of logo misuse or a grievance about a member, from anyone."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=ReportCategory.choices)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member concerned"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    description = models.TextField(
        _("what the reporter describes"),
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    # The reporter's identity: shown only to staff with the view_reporter_identity permission,
    # never copied into a finding, a case or the audit log.
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    reporter_ip = models.GenericIPAddressField(_("reporter's address (IP)"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=_R.NEW
    )
    submitted_at = models.DateTimeField(_("received at"), default=timezone.now)
    acknowledge_due_on = models.DateField(_("acknowledge by"))
    conclude_due_on = models.DateField(_("conclude by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    dismissal_reason = models.TextField(
        _("reason for dismissal (internal)"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    public_outcome = models.TextField(
        _("outcome shared with the reporter"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    finding = models.ForeignKey(
        "compliance.Finding",
        verbose_name=_("finding raised"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    case = models.ForeignKey(
        "compliance.ForfeitureCase",
        verbose_name=_("case opened"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    appeal_text = models.TextField(
        _("appeal"),
        blank=True,
        max_length=text_limits.TEXT,
        validators=[MaxLengthValidator(text_limits.TEXT)],
    )
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-submitted_at"]
        permissions = [("view_reporter_identity", _("Can see who made a report"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=ReportCategory.values),
                name="report_category_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_R.FINDING_RAISED) | models.Q(finding__isnull=False),
                name="report_finding_raised_has_finding",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_R.CASE_OPENED) | models.Q(case__isnull=False),
                name="report_case_opened_has_case",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "acknowledge_due_on"], name="report_ack_queue_idx"),
            models.Index(fields=["status", "conclude_due_on"], name="report_conclude_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or str(_("Report"))

    @property
    def public_stage(self) -> PublicStage:
        return public_stage(self.status)

    @property
    def may_appeal(self) -> bool:
        return self.status in CLOSED_STATUSES and self.appealed_at is None


class ReportEvidence(models.Model):
    """A file sent with a report, through the portal's checked upload path."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="evidence"
    )
    document = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report evidence")
        verbose_name_plural = _("report evidence")

    def __str__(self) -> str:
        return str(self.document)
