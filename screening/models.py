"""Sanctions and PEP lists, list versions, matches and their triage (DESIGN §6).

A list entry is kept once per *state*, not once per import: a row is valid from the version
that added it (``first_version``) until the version that removed or changed it
(``removed_in``). An import of a 200,000-entry list that changes 1,000 entries writes 1,000
rows, not 200,000; the current list is ``removed_in IS NULL``, and a version's diff is read
from the rows it opened and closed. A changed entry is a new row, so a hit names exactly the
entry state it was raised on.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.states import Transition
from members.models import Application, KeyPerson, Member


class SubjectKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class ListFormat(models.TextChoices):
    FTM = "ftm", _("FollowTheMoney JSON lines")
    CSV = "csv", _("CSV")


class ListSource(models.Model):
    """A list the operator imports: an OpenSanctions export, a national list…"""

    slug = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("screening list")
        verbose_name_plural = _("screening lists")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class ListVersion(models.Model):
    """One import of a list, with what it added, changed and removed."""

    source = models.ForeignKey(
        ListSource, verbose_name=_("list"), on_delete=models.PROTECT, related_name="versions"
    )
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=8, choices=ListFormat.choices)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    entries = models.PositiveIntegerField(_("entries"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    removed = models.PositiveIntegerField(_("removed"), default=0)
    # Set once everyone has been screened against this version's added and changed entries;
    # a job picks up versions left without it (the import's screening was interrupted).
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("list version")
        verbose_name_plural = _("list versions")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(format__in=ListFormat.values), name="listversion_format_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} · {self.imported_at:%Y-%m-%d %H:%M} (#{self.pk})"


class ListEntry(models.Model):
    """One listed person or company, as one version of the list states it."""

    source = models.ForeignKey(
        ListSource, verbose_name=_("list"), on_delete=models.PROTECT, related_name="entries"
    )
    entity_id = models.CharField(_("list id"), max_length=200)
    schema = models.CharField(_("schema"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=SubjectKind.choices)
    caption = models.CharField(_("name"), max_length=500)
    names = models.JSONField(_("names and aliases"), default=list)
    birth_dates = models.JSONField(_("dates of birth"), default=list)
    countries = models.JSONField(_("countries"), default=list)
    programme = models.CharField(_("programme"), max_length=500, blank=True)
    data_hash = models.CharField(_("data hash"), max_length=64)
    # The names as matching reads them (parts, phonetic keys, symbols, legal forms), analysed
    # once at import rather than at every screening. A row analysed by another analyser
    # (``analysed_with`` differs from matching.ANALYSER, or is empty) is analysed again and
    # saved before it is matched.
    analysis = models.JSONField(_("analysed names"), default=list, editable=False)
    analysed_with = models.CharField(_("analysed with"), max_length=40, blank=True, editable=False)
    first_version = models.ForeignKey(
        ListVersion,
        verbose_name=_("listed since"),
        on_delete=models.PROTECT,
        related_name="opened_entries",
    )
    removed_in = models.ForeignKey(
        ListVersion,
        verbose_name=_("removed or changed in"),
        on_delete=models.PROTECT,
        related_name="closed_entries",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["caption", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "entity_id"],
                condition=models.Q(removed_in__isnull=True),
                name="listentry_current_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=SubjectKind.values), name="listentry_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["source", "removed_in"], name="listentry_current_idx"),
        ]

    def __str__(self) -> str:
        return self.caption

    @property
    def key(self) -> str:
        """The entry's identity and content: a false positive holds until this changes."""
        return f"{self.source_id}:{self.entity_id}:{self.data_hash}"


class Subject(models.Model):
    """A company or person the portal screens, as it stood when screened.

    ``fingerprint`` hashes the data matching reads (names, date of birth, countries): when it
    changes the person or company has changed, a new subject is screened, and earlier false
    positives no longer hold for it. A subject whose record ended or changed is retired.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=SubjectKind.choices)
    owner_key = models.CharField(_("owner"), max_length=40)
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    key_person = models.ForeignKey(
        KeyPerson,
        verbose_name=_("key person"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=16, blank=True)
    name = models.CharField(_("name"), max_length=500)
    data = models.JSONField(_("data screened"), default=dict)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    # The names analysed once, as for a list entry (ListEntry.analysis): re-screening against
    # an import reads them back rather than analysing everyone again.
    analysis = models.JSONField(_("analysed names"), default=list, editable=False)
    analysed_with = models.CharField(_("analysed with"), max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("first screened"), default=timezone.now)
    screened_at = models.DateTimeField(_("screened at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("screened subject")
        verbose_name_plural = _("screened subjects")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_key", "kind", "fingerprint"], name="subject_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=SubjectKind.values), name="subject_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(member__isnull=False) | models.Q(application__isnull=False),
                name="subject_has_owner",
            ),
        ]
        indexes = [
            models.Index(
                fields=["screened_at"],
                condition=models.Q(screened_at__isnull=True, retired_at__isnull=True),
                name="subject_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HitStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    FALSE_POSITIVE = "false_positive", _("False positive")
    CONFIRMED = "confirmed", _("Confirmed")


_H = HitStatus
# The one place a hit's lifecycle is declared; only screening.services moves it. A proposal
# to confirm keeps the hit under review until a second, permitted person confirms it.
HIT_TRANSITIONS: dict[str, Transition] = {
    "start_review": Transition.of({_H.NEW}, _H.UNDER_REVIEW),
    "false_positive": Transition.of({_H.NEW, _H.UNDER_REVIEW}, _H.FALSE_POSITIVE),
    "confirm": Transition.of({_H.UNDER_REVIEW}, _H.CONFIRMED),
}
OPEN_HIT_STATUSES = (_H.NEW, _H.UNDER_REVIEW)


class Hit(models.Model):
    """A possible match of a subject with a list entry, for staff to triage."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="hits"
    )
    entry = models.ForeignKey(
        ListEntry, verbose_name=_("list entry"), on_delete=models.PROTECT, related_name="hits"
    )
    # Copied from the subject and the entry so that a false positive can be found again by
    # what it was about, whatever rows later carry the same data.
    subject_fingerprint = models.CharField(_("subject fingerprint"), max_length=64)
    entry_key = models.CharField(_("entry key"), max_length=400)
    score = models.FloatField(_("score"))
    features = models.JSONField(_("why it matched"), default=dict)
    engine = models.CharField(_("engine"), max_length=16, default="local")
    status = models.CharField(_("status"), max_length=16, choices=HitStatus.choices, default=_H.NEW)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    review_started_at = models.DateTimeField(_("review started at"), null=True, blank=True)
    review_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("review started by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    false_positive_reason = models.TextField(
        _("why it is a false positive"), blank=True, max_length=text_limits.TEXT
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmation proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    proposed_at = models.DateTimeField(_("confirmation proposed at"), null=True, blank=True)
    proposal_note = models.TextField(
        _("why it is a true match"), blank=True, max_length=text_limits.TEXT
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    case = models.ForeignKey(
        "compliance.ForfeitureCase",
        verbose_name=_("forfeiture case"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        ordering = ["-created_at", "-pk"]
        permissions = [("confirm_hit", _("Can confirm screening hits (second person)"))]
        constraints = [
            models.UniqueConstraint(fields=["subject", "entry"], name="hit_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=HitStatus.values), name="hit_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=_H.FALSE_POSITIVE) | ~models.Q(false_positive_reason=""),
                name="hit_false_positive_has_reason",
            ),
            # Four eyes: a confirmed hit was proposed by one person and confirmed by another.
            models.CheckConstraint(
                condition=~models.Q(status=_H.CONFIRMED)
                | (
                    models.Q(proposed_by__isnull=False, resolved_by__isnull=False)
                    & ~models.Q(resolved_by=models.F("proposed_by"))
                ),
                name="hit_confirmed_four_eyes",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="hit_queue_idx"),
            models.Index(fields=["subject_fingerprint", "entry_key"], name="hit_memory_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ↔ {self.entry}"
