"""Keeping the promise: review cycles with attestations, findings, and forfeiture cases."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from alliance_portal.models import Document
from alliance_portal.search_indexes import trigram_index
from alliance_portal.states import Transition
from licensing.models import Criterion, GuidelinesVersion, LicenceAgreement
from members.models import ApplicationDocument, Member, MemberDocument


class Grade(models.TextChoices):
    """The industry's graded outcomes of a review."""

    COMPLIANT = "compliant", _("Compliant")
    IMPROVEMENT = "improvement", _("Improvement opportunity")
    MINOR = "minor", _("Minor non-conformity")
    MAJOR = "major", _("Major non-conformity")
    MATERIAL_BREACH = "material_breach", _("Material breach")


class CycleKind(models.TextChoices):
    INITIAL = "initial", _("Initial")
    PERIODIC = "periodic", _("Periodic")
    AD_HOC = "ad_hoc", _("Ad hoc")


class CycleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


_C = CycleStatus
CYCLE_TRANSITIONS: dict[str, Transition] = {
    "submit": Transition.of({_C.OPEN, _C.CHANGES_REQUESTED}, _C.SUBMITTED),
    "start_review": Transition.of({_C.SUBMITTED}, _C.IN_REVIEW),
    "accept": Transition.of({_C.IN_REVIEW}, _C.ACCEPTED),
    "request_changes": Transition.of({_C.IN_REVIEW}, _C.CHANGES_REQUESTED),
    "reject": Transition.of({_C.IN_REVIEW}, _C.REJECTED),
}
ANSWERABLE_STATUSES = frozenset({_C.OPEN, _C.CHANGES_REQUESTED})
# A review under way: at most one per member (a constraint), and the dashboard's list.
OPEN_CYCLE_STATUSES = [_C.OPEN, _C.SUBMITTED, _C.IN_REVIEW, _C.CHANGES_REQUESTED]


class ReviewCycle(models.Model):
    """One round of attestation to the Guidelines by a member, and its review by staff."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="review_cycles"
    )
    licence = models.ForeignKey(
        LicenceAgreement,
        verbose_name=_("licence"),
        on_delete=models.PROTECT,
        related_name="review_cycles",
        help_text=_("Its Guidelines edition sets the criteria attested to."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CycleKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=CycleStatus.choices, default=_C.OPEN
    )
    due_on = models.DateField(_("due on"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Grade.choices, blank=True)
    decision_note = models.TextField(_("reviewer's note to the member"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # The edition attested to: the latest published when the cycle opened (the licence keeps
    # the edition it incorporated). Empty only on rows made before editions were tracked.
    guidelines = models.ForeignKey(
        GuidelinesVersion,
        verbose_name=_("Guidelines edition"),
        on_delete=models.PROTECT,
        related_name="review_cycles",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CycleStatus.values), name="cycle_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=CycleKind.values), name="cycle_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="") | models.Q(outcome__in=Grade.values),
                name="cycle_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[_C.ACCEPTED, _C.REJECTED]) | ~models.Q(outcome=""),
                name="cycle_decided_has_outcome",
            ),
            # One review under way per member: the periodic job can run twice safely.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status__in=OPEN_CYCLE_STATUSES),
                name="cycle_one_under_way_per_member",
                violation_error_message=_("The member already has a review cycle under way."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="cycle_status_due_idx"),
            models.Index(fields=["-opened_at"], name="cycle_opened_idx"),
        ]

    def __str__(self) -> str:
        # The label straight from the choices: get_kind_display() rebuilds the choices map on
        # every call, and a job's batch names thousands of cycles (audit rows, outbox rows).
        kind = CycleKind(self.kind).label if self.kind in CycleKind.values else self.kind
        return f"{self.member} · {kind} · {self.due_on:%Y-%m-%d}"

    @property
    def is_answerable(self) -> bool:
        return self.status in ANSWERABLE_STATUSES

    @property
    def edition(self) -> GuidelinesVersion:
        """The Guidelines edition attested to."""
        if self.guidelines_id:
            return self.guidelines  # type: ignore[return-value]
        return self.licence.guidelines

    @property
    def edition_id(self) -> int:
        return self.guidelines_id or self.licence.guidelines_id

    @property
    def review_returned(self) -> bool:
        """The reviewer's notes are the member's to read once the review came back."""
        return self.status in (_C.CHANGES_REQUESTED, _C.ACCEPTED, _C.REJECTED)


class AnswerChoice(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    PARTIAL = "partial", _("Partially compliant")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Answer(models.Model):
    """The member's answer to one criterion in one cycle, and the reviewer's note on it."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    answer = models.CharField(_("answer"), max_length=16, choices=AnswerChoice.choices, blank=True)
    explanation = models.TextField(_("explanation"), blank=True, max_length=5000)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewer_note = models.TextField(_("reviewer's note"), blank=True)
    # Kept unchanged from the member's last accepted review: the answer it was copied from,
    # cleared once the member changes the answer or its evidence.
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried forward from"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["criterion__section__number", "criterion__position"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "criterion"], name="answer_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(answer="") | models.Q(answer__in=AnswerChoice.values),
                name="answer_choice_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.get_answer_display() or '—'}"


class ReviewNote(models.Model):
    """One reviewer's note on one answer, as written: a new note adds a row, so the notes of
    every round stay readable. ``Answer.reviewer_note`` keeps the latest, which the member
    reads."""

    answer = models.ForeignKey(
        Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="notes"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    # Empty for the notes written before they were kept one by one.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Empty when the reviewer withdrew the note.
    text = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("reviewer's note")
        verbose_name_plural = _("reviewer's notes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.answer} · round {self.round}"


def answer_gaps(answer: Answer) -> list[str]:
    """What an answer still lacks before the cycle can be submitted, in words: it must be
    answered, explained unless *compliant*, and evidenced unless *not applicable*."""
    gaps = []
    if not answer.answer:
        gaps.append(gettext("an answer"))
    elif answer.answer != AnswerChoice.COMPLIANT and not answer.explanation.strip():
        gaps.append(gettext("an explanation"))
    if answer.answer != AnswerChoice.NOT_APPLICABLE and not answer.evidence.all():
        gaps.append(gettext("evidence"))
    return gaps


class AnswerEvidence(models.Model):
    """A document evidencing one answer. A member uploads a document once and may attach it
    to several criteria (its evidence library is every document its answers use)."""

    answer = models.ForeignKey(
        Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="evidence"
    )
    document = models.ForeignKey(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["answer", "document"], name="evidence_once_per_answer")
        ]

    def __str__(self) -> str:
        return str(self.document)


class Submission(models.Model):
    """A round of a cycle as submitted: the signatory's declaration, the answers as they were,
    and what the reviewer decided on them. Kept for every round."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    round = models.PositiveSmallIntegerField(_("round"))
    signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signatory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    typed_name = models.CharField(_("name typed"), max_length=200)
    statement = models.TextField(_("declaration"))
    statement_sha256 = models.CharField(_("SHA-256 of the declaration"), max_length=64)
    answers = models.JSONField(_("answers as submitted"))
    answers_sha256 = models.CharField(_("SHA-256 of the answers"), max_length=64)
    submitted_at = models.DateTimeField(_("submitted at"))
    # When the signatory last proved who they are (a login or a re-authentication), checked
    # to be recent before the declaration was accepted.
    authenticated_at = models.DateTimeField(
        _("signatory last authenticated at"), null=True, blank=True
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    review_result = models.CharField(_("review result"), max_length=20, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["cycle", "round"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "round"], name="submission_per_round")
        ]

    def __str__(self) -> str:
        return gettext("%(cycle)s · round %(round)s") % {"cycle": self.cycle, "round": self.round}

    def get_review_result_display(self) -> str:
        """The reviewer's step in words (the field keeps the step's name: accept, reject …)."""
        return str(REVIEW_RESULTS.get(self.review_result, self.review_result))


REVIEW_RESULTS = {
    "accept": pgettext_lazy("review result", "Accepted"),
    "reject": pgettext_lazy("review result", "Rejected"),
    "request_changes": pgettext_lazy("review result", "Changes requested"),
}


class Severity(models.TextChoices):
    OBSERVATION = "observation", _("Observation")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTION_SUBMITTED = "action_submitted", _("Action submitted")
    CLOSED = "closed", _("Closed")
    ESCALATED = "escalated", _("Escalated")


_F = FindingStatus
FINDING_TRANSITIONS: dict[str, Transition] = {
    "submit_action": Transition.of({_F.OPEN}, _F.ACTION_SUBMITTED),
    "reopen": Transition.of({_F.ACTION_SUBMITTED}, _F.OPEN),
    "close": Transition.of({_F.OPEN, _F.ACTION_SUBMITTED}, _F.CLOSED),
    "escalate": Transition.of({_F.OPEN, _F.ACTION_SUBMITTED}, _F.ESCALATED),
}


class Finding(models.Model):
    """Something a reviewer found wrong, with the corrective action expected by a date."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.PROTECT,
        related_name="findings",
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices)
    description = models.TextField(_("what was found"))
    corrective_action = models.TextField(_("corrective action expected"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=FindingStatus.choices, default=_F.OPEN
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="+",
        # Empty when the portal raised it itself (a document left expired past the grace).
        null=True,
        blank=True,
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    action_taken = models.TextField(_("action taken"), blank=True)
    action_submitted_at = models.DateTimeField(_("action submitted at"), null=True, blank=True)
    action_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("action submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    resolution_note = models.TextField(_("staff note"), blank=True)
    resolved_at = models.DateTimeField(_("closed or escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["due_on"]
        # The default ordering and the calendars' date ranges, read in order.
        indexes = [models.Index(fields=["due_on", "id"], name="finding_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FindingStatus.values), name="finding_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=Severity.values), name="finding_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        code = f"{self.criterion.code} · " if self.criterion is not None else ""
        return f"{code}{self.get_severity_display()}: {self.description[:60]}"


class FindingEvidence(models.Model):
    finding = models.ForeignKey(
        Finding, verbose_name=_("finding"), on_delete=models.CASCADE, related_name="evidence"
    )
    document = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("finding evidence")
        verbose_name_plural = _("finding evidence")

    def __str__(self) -> str:
        return str(self.document)


class Grounds(models.TextChoices):
    NON_COMPLIANCE = "non_compliance", _("Non-compliance with the Guidelines")
    FAILURE_TO_ATTEST = "failure_to_attest", _("Failure to attest")
    FAILURE_TO_REMEDIATE = "failure_to_remediate", _("Failure to remediate findings")
    LEGAL_OR_SANCTIONS = "legal_or_sanctions", _("Legal proceedings or sanctions")
    LOGO_MISUSE = "logo_misuse", _("Misuse of the logo")


class CaseStatus(models.TextChoices):
    OPENED = "opened", _("Opened")
    NOTICE_SENT = "notice_sent", _("Notice sent, awaiting response")
    RESPONSE_RECEIVED = "response_received", _("Response received")
    WINDOW_CLOSED = "window_closed", _("Response window closed")
    DECIDED = "decided", _("Decided")


class Decision(models.TextChoices):
    DISMISSED = "dismissed", _("Dismissed")
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    FORFEITURE = "forfeiture", _("Forfeiture")


_K = CaseStatus
CASE_TRANSITIONS: dict[str, Transition] = {
    "send_notice": Transition.of({_K.OPENED}, _K.NOTICE_SENT),
    "respond": Transition.of({_K.NOTICE_SENT}, _K.RESPONSE_RECEIVED),
    "close_window": Transition.of({_K.NOTICE_SENT}, _K.WINDOW_CLOSED),
    "decide": Transition.of({_K.RESPONSE_RECEIVED, _K.WINDOW_CLOSED}, _K.DECIDED),
}


class ForfeitureCase(models.Model):
    """A case that may cost a member its licence: notice, right of reply, four-eyes decision."""

    licence = models.ForeignKey(
        LicenceAgreement, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="cases"
    )
    grounds = models.CharField(_("grounds"), max_length=24, choices=Grounds.choices)
    narrative = models.TextField(_("what happened"))
    findings = models.ManyToManyField(
        Finding, verbose_name=_("findings"), blank=True, related_name="cases"
    )
    cycles = models.ManyToManyField(
        ReviewCycle, verbose_name=_("review cycles"), blank=True, related_name="cases"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=_K.OPENED
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty when the portal opened the case itself (an overdue attestation)."),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    notice_sent_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    # The right of reply runs from the notice's delivery (the mail server accepted it), or,
    # when it could not be delivered, from staff confirming it reached the member otherwise.
    notice_delivered_at = models.DateTimeField(_("notice delivered at"), null=True, blank=True)
    notice_delivery_note = models.TextField(
        _("how the notice reached the member"),
        blank=True,
        help_text=_("Staff's account when the e-mail could not be delivered."),
    )
    response_due_on = models.DateField(_("response due on"), null=True, blank=True)
    response = models.TextField(_("member's response"), blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reinstated_at = models.DateTimeField(_("licence reinstated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("forfeiture case")
        verbose_name_plural = _("forfeiture cases")
        ordering = ["-opened_at"]
        permissions = [("decide_forfeiturecase", _("Can decide forfeiture cases"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(grounds__in=Grounds.values), name="case_grounds_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_K.DECIDED)
                | (~models.Q(decision="") & models.Q(decided_by__isnull=False)),
                name="case_decided_has_decision",
            ),
            # Four eyes, down to the database: the one who opened a case never decides it.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("opened_by")),
                name="case_decider_is_not_opener",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence.member} · {self.get_grounds_display()}"

    @property
    def member(self) -> Member:
        return self.licence.member


class CaseResponseDocument(models.Model):
    case = models.ForeignKey(
        ForfeitureCase,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="response_documents",
    )
    document = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("response document")
        verbose_name_plural = _("response documents")

    def __str__(self) -> str:
        return str(self.document)


class CertificateStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("certificate status", "Being prepared")
    ISSUED = "issued", pgettext_lazy("certificate status", "Valid")
    REVOKED = "revoked", pgettext_lazy("certificate status", "Revoked")
    EXPIRED = "expired", pgettext_lazy("certificate status", "Expired")
    SUPERSEDED = "superseded", pgettext_lazy("certificate status", "Superseded")


_S = CertificateStatus
CERTIFICATE_TRANSITIONS: dict[str, Transition] = {
    "issue": Transition.of({_S.PENDING}, _S.ISSUED),
    "revoke": Transition.of({_S.PENDING, _S.ISSUED}, _S.REVOKED),
    "supersede": Transition.of({_S.ISSUED}, _S.SUPERSEDED),
    "expire": Transition.of({_S.ISSUED}, _S.EXPIRED),
}


class ComplianceCertificate(models.Model):
    """What an accepted review proves, as a signed PDF anyone can verify by its code."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=64, unique=True)
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="certificates"
    )
    licence = models.ForeignKey(
        LicenceAgreement,
        verbose_name=_("licence"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Grade.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.PENDING,
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("revoked, superseded or expired at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)
    pdf = models.OneToOneField(
        "alliance_portal.Document",
        verbose_name=_("PDF"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("compliance certificate")
        verbose_name_plural = _("compliance certificates")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CertificateStatus.values),
                name="certificate_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CertificateStatus.ISSUED) | models.Q(pdf__isnull=False),
                name="certificate_issued_has_pdf",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="certificate_status_idx"),
            models.Index(fields=["-created_at"], name="certificate_created_idx"),
            trigram_index("number", name="certificate_number_trgm"),
        ]

    def __str__(self) -> str:
        return self.number


class AuditorGrant(models.Model):
    """Read-only access of an auditor to one member, or to all (member empty), until a date."""

    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auditor"),
        on_delete=models.PROTECT,
        related_name="auditor_grants",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="auditor_grants",
        null=True,
        blank=True,
        help_text=_("Leave empty to grant every member."),
    )
    expires_on = models.DateField(_("expires on"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("auditor grant")
        verbose_name_plural = _("auditor grants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.auditor} → {self.member or _('all members')}"


class Notice(models.Model):
    """A message a periodic job has sent: the unique key makes a second run send nothing."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sent notice")
        verbose_name_plural = _("sent notices")

    def __str__(self) -> str:
        return self.key


class CertificateBatch(models.Model):
    """Staff re-issuing certificates for many members at once, done by a Celery job."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    members = models.ManyToManyField(Member, verbose_name=_("members"), related_name="+")
    total = models.PositiveIntegerField(_("to do"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Moved on by every member handled: a batch that stops moving is resumed by the sweeper.
    progressed_at = models.DateTimeField(_("last progress at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate re-issue")
        verbose_name_plural = _("certificate re-issues")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} · {self.done + self.skipped}/{self.total}"

    @property
    def percent(self) -> int:
        return round(100 * (self.done + self.skipped) / self.total) if self.total else 100


class MemberCalendarToken(models.Model):
    """A member user's secret for their ICS feed of their companies' due dates. Only the
    token's SHA-256 is kept: the feed address is shown once; a lost one is replaced."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="member_calendar_tokens",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member calendar feed")
        verbose_name_plural = _("member calendar feeds")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="member_calendar_token_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class ValidityNoticeKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder before expiry")
    FINDING = "finding", _("Finding raised after the grace period")


class DocumentValidityNotice(models.Model):
    """What the validity jobs did about one document: a reminder at one threshold (days before
    expiry) or the finding raised after the grace period. Unique, so each happens once."""

    document = models.ForeignKey(
        "alliance_portal.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ValidityNoticeKind.choices)
    # Days before expiry for a reminder (0: the day it expires); -1 for the finding.
    days = models.SmallIntegerField(_("days before expiry"))
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("document validity notice")
        verbose_name_plural = _("document validity notices")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "kind", "days"], name="validity_notice_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ValidityNoticeKind.values),
                name="validity_notice_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} · {self.kind} · {self.days}"


class MemberDocumentRecordManager(models.Manager["MemberDocumentRecord"]):
    def get_queryset(self) -> "models.QuerySet[MemberDocumentRecord]":
        return (
            super()
            .get_queryset()
            .filter(
                models.Q(pk__in=ApplicationDocument.objects.values("document_id"))
                | models.Q(pk__in=MemberDocument.objects.values("document_id"))
                | models.Q(pk__in=AnswerEvidence.objects.values("document_id"))
            )
        )


class MemberDocumentRecord(Document):
    """The documents members gave (application documents, the members' documents and
    attestation evidence), as staff review them: confirm or correct their dates, verify or
    reject them. A proxy: the rows are ``alliance_portal.Document``'s, those given by members
    (not the portal's own PDFs)."""

    objects: ClassVar[MemberDocumentRecordManager] = MemberDocumentRecordManager()

    class Meta:
        proxy = True
        verbose_name = _("member document")
        verbose_name_plural = _("documents to keep valid")
