"""Reads of the staff home: one aggregate query per queue, so the page costs the same number
of queries whatever the number of members.

"My work" means the items a person owns: the applications they took under review, the review
cycles they opened, the findings they raised and the forfeiture cases they opened. A decision
maker's cases are the ones they may decide, which are never the ones they opened (four eyes).
Overdue reports are the handler's once acknowledged. Certificates waiting to render,
undelivered messages and reports not yet acknowledged belong to no one (the portal or the
public made them), so they show in both views.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_portal.models import OutboxMessage
from compliance.models import (
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Finding,
    FindingStatus,
    ForfeitureCase,
    ReviewCycle,
    Submission,
)
from compliance.permissions import can_decide_cases
from compliance.selectors_validity import documents_expired_or_expiring
from licensing.models import LogoUse, LogoUseStatus
from members.models import OPEN_STATUSES, Application, User
from members.selectors import people_changes_for_staff
from screening.models import OPEN_HIT_STATUSES, Hit
from trust.models import ReportStatus
from trust.selectors import reports_overdue, reports_to_acknowledge

from .permissions import can_see

# How many of the oldest open applications the home lists by name.
APPLICATIONS_LISTED = 10
DECIDABLE_CASES = [CaseStatus.RESPONSE_RECEIVED, CaseStatus.WINDOW_CLOSED]
OVERDUE_CYCLE_STATUSES = [CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED]


@dataclass
class Queue:
    key: str
    title: Any
    count: int
    url: str
    oldest: datetime | date | None = None
    oldest_label: str = ""
    oldest_url: str = ""
    owned: bool = True

    @property
    def age_days(self) -> int | None:
        if self.oldest is None:
            return None
        day = timezone.localdate(self.oldest) if isinstance(self.oldest, datetime) else self.oldest
        return (timezone.localdate() - day).days

    @property
    def days_ahead(self) -> int | None:
        """For a queue whose oldest item is a coming date (a document's expiry): days to it."""
        age = self.age_days
        return -age if age is not None and age < 0 else None


@dataclass
class ApplicationRow:
    application: Application
    days: int
    level: str  # "ok", "amber" or "red"


@dataclass
class ApplicationsQueue(Queue):
    amber: int = 0
    red: int = 0
    rows: list[ApplicationRow] = field(default_factory=list)


def _changelist(name: str, **filters: Any) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _change(name: str, pk: Any) -> str:
    return reverse(f"admin:{name}_change", args=[pk])


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def application_level(application: Application) -> str:
    """Red past the target (30 days, or the extended date); amber in its last ten days (from
    day 20 of the 30)."""
    left = application.review_days_left
    if left is None:
        return "ok"
    warn_within = settings.ALLIANCE_APPLICATION_REVIEW_DAYS - (
        settings.ALLIANCE_APPLICATION_REVIEW_WARN_DAYS
    )
    if left < 0:
        return "red"
    if left <= warn_within:
        return "amber"
    return "ok"


def _applications(user: User, mine: bool) -> ApplicationsQueue:
    today = timezone.localdate()
    review_days = settings.ALLIANCE_APPLICATION_REVIEW_DAYS
    warn_within = review_days - settings.ALLIANCE_APPLICATION_REVIEW_WARN_DAYS
    rows = Application.objects.filter(status__in=OPEN_STATUSES)
    filters: dict[str, Any] = {"status__in": ",".join(sorted(OPEN_STATUSES))}
    if mine:
        rows = rows.filter(review_started_by=user)
        filters["review_started_by__exact"] = user.pk
    # Past the target: submitted before the start of the day 30 days ago (unless extended),
    # or past the extended date. In its last ten days: the same from ten days later.
    red = Q(
        review_extended_until__isnull=True,
        submitted_at__lt=_day_start(today - timedelta(review_days)),
    ) | Q(review_extended_until__lt=today)
    due_soon = Q(
        review_extended_until__isnull=True,
        submitted_at__lt=_day_start(today - timedelta(review_days - warn_within - 1)),
    ) | Q(review_extended_until__lte=today + timedelta(warn_within))
    figures = rows.aggregate(
        count=Count("pk"),
        red=Count("pk", filter=red),
        amber=Count("pk", filter=due_soon & ~red),
        oldest=Min("submitted_at"),
    )
    listed = list(
        rows.select_related("applicant").order_by("submitted_at", "pk")[:APPLICATIONS_LISTED]
    )
    queue = ApplicationsQueue(
        key="applications",
        title=_("Applications to review"),
        count=figures["count"],
        url=_changelist("members_application", **filters),
        oldest=figures["oldest"],
        amber=figures["amber"],
        red=figures["red"],
        rows=[
            ApplicationRow(
                application=a,
                days=(today - timezone.localdate(a.submitted_at)).days if a.submitted_at else 0,
                level=application_level(a),
            )
            for a in listed
        ],
    )
    if listed:
        queue.oldest_label = str(listed[0])
        queue.oldest_url = _change("members_application", listed[0].pk)
    return queue


def _first(rows: QuerySet[Any], order: str) -> Any:
    return rows.order_by(order, "pk").first()


def _queue(
    key: str,
    title: Any,
    rows: QuerySet[Any],
    *,
    admin_name: str,
    filters: dict[str, Any],
    age_field: str,
    owned: bool = True,
) -> Queue:
    """Count and oldest item of one queue, in one query: the oldest row carries the number of
    rows the filter keeps (``COUNT(*) OVER ()`` is taken before the LIMIT)."""
    oldest = _first(rows.annotate(queue_length=Window(Count("pk"))), age_field)
    count = oldest.queue_length if oldest is not None else 0
    return Queue(
        key=key,
        title=title,
        count=count,
        url=_changelist(admin_name, **filters),
        oldest=getattr(oldest, age_field.split("__")[0], None) if oldest is not None else None,
        oldest_label=str(oldest) if oldest is not None else "",
        oldest_url=_change(admin_name, oldest.pk) if oldest is not None else "",
        owned=owned,
    )


def _submitted_cycles(user: User, mine: bool) -> Queue:
    latest = Submission.objects.filter(cycle=OuterRef("pk")).order_by("-submitted_at")
    rows = ReviewCycle.objects.filter(status=CycleStatus.SUBMITTED).annotate(
        submitted_at=Subquery(latest.values("submitted_at")[:1])
    )
    filters: dict[str, Any] = {"status__exact": CycleStatus.SUBMITTED}
    if mine:
        rows, filters = rows.filter(opened_by=user), {**filters, "opened_by__exact": user.pk}
    return _queue(
        "cycles_submitted",
        _("Attestations submitted, to review"),
        rows.select_related("member"),
        admin_name="compliance_reviewcycle",
        filters=filters,
        age_field="submitted_at",
    )


def _overdue_cycles(user: User, mine: bool) -> Queue:
    today = timezone.localdate()
    rows = ReviewCycle.objects.filter(status__in=OVERDUE_CYCLE_STATUSES, due_on__lt=today)
    filters: dict[str, Any] = {
        "status__in": ",".join(OVERDUE_CYCLE_STATUSES),
        "due_on__lt": today.isoformat(),
    }
    if mine:
        rows, filters = rows.filter(opened_by=user), {**filters, "opened_by__exact": user.pk}
    return _queue(
        "cycles_overdue",
        _("Attestations overdue"),
        rows.select_related("member"),
        admin_name="compliance_reviewcycle",
        filters=filters,
        age_field="due_on",
    )


def _actions_submitted(user: User, mine: bool) -> Queue:
    rows = Finding.objects.filter(status=FindingStatus.ACTION_SUBMITTED)
    filters: dict[str, Any] = {"status__exact": FindingStatus.ACTION_SUBMITTED}
    if mine:
        rows, filters = rows.filter(raised_by=user), {**filters, "raised_by__exact": user.pk}
    return _queue(
        "actions_submitted",
        _("Corrective actions to verify"),
        rows.select_related("criterion"),
        admin_name="compliance_finding",
        filters=filters,
        age_field="action_submitted_at",
    )


def _overdue_findings(user: User, mine: bool) -> Queue:
    today = timezone.localdate()
    rows = Finding.objects.filter(status=FindingStatus.OPEN, due_on__lt=today)
    filters: dict[str, Any] = {"status__exact": FindingStatus.OPEN, "due_on__lt": today.isoformat()}
    if mine:
        rows, filters = rows.filter(raised_by=user), {**filters, "raised_by__exact": user.pk}
    return _queue(
        "findings_overdue",
        _("Findings overdue"),
        rows.select_related("criterion"),
        admin_name="compliance_finding",
        filters=filters,
        age_field="due_on",
    )


def _cases(user: User, mine: bool) -> Queue:
    rows = ForfeitureCase.objects.filter(status__in=DECIDABLE_CASES)
    filters: dict[str, Any] = {"status__in": ",".join(DECIDABLE_CASES)}
    if can_decide_cases(user):
        # A decision maker's queue: the cases they may decide, never one they opened.
        rows = rows.exclude(opened_by=user)
        title = _("Forfeiture cases for you to decide")
    else:
        title = _("Forfeiture cases awaiting a decision")
        if mine:
            rows, filters = rows.filter(opened_by=user), {**filters, "opened_by__exact": user.pk}
    return _queue(
        "cases",
        title,
        rows.select_related("licence__member"),
        admin_name="compliance_forfeiturecase",
        filters=filters,
        age_field="opened_at",
    )


def _key_people() -> Queue:
    # A change's moment: when a removal ended the row, else when the row was recorded.
    rows = people_changes_for_staff().annotate(changed_at=Coalesce("ended_at", "created_at"))
    return _queue(
        "key_people",
        _("Key people changes to review"),
        rows,
        admin_name="members_keyperson",
        filters={"to_review": "yes"},
        age_field="changed_at",
        owned=False,
    )


def _logo_uses() -> Queue:
    # Members wait on these before the logo appears: anyone on staff may take one.
    return _queue(
        "logo_uses",
        _("Logo uses to approve"),
        LogoUse.objects.filter(status=LogoUseStatus.SUBMITTED).select_related("member"),
        admin_name="licensing_logouse",
        filters={"status__exact": LogoUseStatus.SUBMITTED},
        age_field="submitted_at",
        owned=False,
    )


def _screening_hits(user: User, mine: bool) -> Queue:
    rows = Hit.objects.filter(status__in=OPEN_HIT_STATUSES)
    filters: dict[str, Any] = {"status__in": ",".join(OPEN_HIT_STATUSES)}
    if mine:
        rows = rows.filter(review_started_by=user)
        filters = {**filters, "review_started_by__exact": user.pk}
    return _queue(
        "screening_hits",
        _("Screening hits to triage"),
        rows.select_related("subject", "entry"),
        admin_name="screening_hit",
        filters=filters,
        age_field="created_at",
    )


def _certificates() -> Queue:
    return _queue(
        "certificates",
        _("Certificates waiting to render"),
        ComplianceCertificate.objects.filter(status=CertificateStatus.PENDING),
        admin_name="compliance_compliancecertificate",
        filters={"status__exact": CertificateStatus.PENDING},
        age_field="created_at",
        owned=False,
    )


def _undelivered() -> Queue:
    return _queue(
        "outbox",
        _("Messages that could not be delivered"),
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.FAILED, acknowledged_at__isnull=True
        ),
        admin_name="alliance_portal_outboxmessage",
        filters={"status__exact": OutboxMessage.Status.FAILED, "acknowledged_at__isnull": "True"},
        age_field="failed_at",
        owned=False,
    )


def _documents() -> Queue:
    """Members' current documents expired or expiring soon: no one's own, the members'."""
    return _queue(
        "documents",
        _("Documents expired or expiring"),
        documents_expired_or_expiring(),
        admin_name="compliance_memberdocumentrecord",
        filters={"validity": "attention"},
        age_field="expires_on",
        owned=False,
    )


def _reports_to_acknowledge() -> Queue:
    # Reports come from the public: no one owns them until handled, so both views show them.
    return _queue(
        "reports_new",
        _("Reports to acknowledge"),
        reports_to_acknowledge(),
        admin_name="trust_report",
        filters={"status__exact": ReportStatus.NEW},
        age_field="submitted_at",
        owned=False,
    )


def _reports_overdue(user: User, mine: bool) -> Queue:
    rows = reports_overdue()
    filters: dict[str, Any] = {"deadline": "overdue"}
    if mine:
        rows, filters = rows.filter(handled_by=user), {**filters, "handled_by__exact": user.pk}
    return _queue(
        "reports_overdue",
        _("Reports overdue"),
        rows,
        admin_name="trust_report",
        filters=filters,
        age_field="submitted_at",
    )


def home_queues(user: User, *, mine: bool) -> list[Queue]:
    """The queues this person may act on (the view permission of each list), in the order
    work flows: applications, attestations, findings, cases, screening hits, then the
    portal's own."""
    queues: list[Queue] = []
    if can_see(user, "members", "application"):
        queues.append(_applications(user, mine))
    if can_see(user, "members", "keyperson"):
        queues.append(_key_people())
    if can_see(user, "compliance", "reviewcycle"):
        queues += [_submitted_cycles(user, mine), _overdue_cycles(user, mine)]
    if can_see(user, "compliance", "finding"):
        queues += [_actions_submitted(user, mine), _overdue_findings(user, mine)]
    if can_see(user, "compliance", "forfeiturecase"):
        queues.append(_cases(user, mine))
    if can_see(user, "compliance", "memberdocumentrecord"):
        queues.append(_documents())
    if can_see(user, "trust", "report"):
        queues += [_reports_to_acknowledge(), _reports_overdue(user, mine)]
    if can_see(user, "screening", "hit"):
        queues.append(_screening_hits(user, mine))
    if can_see(user, "licensing", "logouse"):
        queues.append(_logo_uses())
    if can_see(user, "compliance", "compliancecertificate"):
        queues.append(_certificates())
    if can_see(user, "alliance_portal", "outboxmessage"):
        queues.append(_undelivered())
    return queues
