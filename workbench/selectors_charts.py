"""Figures for the charts page: each one aggregate query over a bounded period."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance.models import CycleStatus, Finding, Grade, ReviewCycle, Severity
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Application, ApplicationStatus, Member

QUARTERS = 8
MONTHS = 12
# Median days to decide: the applications decided in the last year, at most this many.
DECIDED_LIMIT = 5000


@dataclass
class Figure:
    """A chart and the table beside it: row labels, and per series its label and values."""

    key: str
    title: str
    kind: str  # Chart.js type
    labels: list[str]
    series: list[dict[str, Any]]
    stacked: bool = False
    unit: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": self.series,
            "stacked": self.stacked,
        }

    @property
    def rows(self) -> list[tuple[str, list[Any]]]:
        return [
            (label, [s["values"][i] for s in self.series]) for i, label in enumerate(self.labels)
        ]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _quarter_label(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _quarter_starts(today: date, count: int) -> list[date]:
    start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    starts = [start]
    for _i in range(count - 1):
        start = date(start.year - (start.month == 1), (start.month - 4) % 12 + 1, 1)
        starts.append(start)
    return starts[::-1]


def _month_ends(today: date, count: int) -> list[date]:
    """The last ``count`` month ends up to today (this month: today)."""
    ends = [today]
    first = today.replace(day=1)
    for _i in range(count - 1):
        ends.append(first - timedelta(days=1))
        first = ends[-1].replace(day=1)
    return ends[::-1]


def members_by_licence_status() -> Figure:
    latest = LicenceAgreement.objects.filter(member=OuterRef("pk")).order_by("-created_at", "-pk")
    counts = dict(
        Member.objects.annotate(licence_status=Subquery(latest.values("status")[:1]))
        .values("licence_status")
        .annotate(n=Count("pk"))
        .values_list("licence_status", "n")
    )
    labels = [str(label) for label in LicenceStatus.labels] + [_("No licence yet")]
    values = [counts.get(value, 0) for value in LicenceStatus.values] + [counts.get(None, 0)]
    return Figure(
        "members",
        _("Members by licence status"),
        "bar",
        labels,
        [{"label": _("Members"), "values": values}],
    )


def outcomes_by_quarter(today: date) -> Figure:
    starts = _quarter_starts(today, QUARTERS)
    since = _day_start(starts[0])
    rows = (
        ReviewCycle.objects.filter(
            status__in=[CycleStatus.ACCEPTED, CycleStatus.REJECTED], decided_at__gte=since
        )
        .annotate(quarter=TruncQuarter("decided_at"))
        .values("quarter", "outcome")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        quarter = row["quarter"]
        day = quarter.date() if hasattr(quarter, "date") else quarter
        key = (_quarter_label(day), row["outcome"])
        counts[key] = counts.get(key, 0) + row["n"]
    labels = [_quarter_label(s) for s in starts]
    return Figure(
        "outcomes",
        _("Review outcomes by grade per quarter"),
        "bar",
        labels,
        [
            {"label": str(label), "values": [counts.get((q, value), 0) for q in labels]}
            for value, label in Grade.choices
        ],
        stacked=True,
    )


def days_to_decide(today: date) -> Figure:
    """Median days from submission to decision of the applications decided per quarter,
    against the target."""
    starts = _quarter_starts(today, 4)
    since = _day_start(starts[0])
    decided = Application.objects.filter(
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.REJECTED],
        decided_at__gte=since,
        submitted_at__isnull=False,
    ).values_list("submitted_at", "decided_at")[:DECIDED_LIMIT]
    per_quarter: dict[str, list[float]] = {}
    for submitted_at, decided_at in decided:
        if submitted_at is None or decided_at is None:
            continue
        label = _quarter_label(timezone.localdate(decided_at))
        per_quarter.setdefault(label, []).append(
            (decided_at - submitted_at).total_seconds() / 86400
        )
    labels = [_quarter_label(s) for s in starts]
    medians = [round(median(per_quarter[q]), 1) if per_quarter.get(q) else None for q in labels]
    target = settings.ALLIANCE_APPLICATION_REVIEW_DAYS
    return Figure(
        "decide",
        _("Median days to decide an application"),
        "line",
        labels,
        [
            {"label": _("Median days"), "values": medians},
            {"label": _("Target"), "values": [target] * len(labels)},
        ],
        unit=_("days"),
    )


def overdue_cycles_by_month(today: date) -> Figure:
    """Cycles past their due date at each month's end and not yet submitted by then."""
    ends = _month_ends(today, MONTHS)
    decided = [CycleStatus.ACCEPTED, CycleStatus.REJECTED]
    # Only cycles that can be overdue at one of the month ends: due before the last, not decided
    # before the first. Each one's first submission is found by one grouped join, not a
    # lookup per cycle (1.3 s at 100,000 cycles).
    cycles = (
        ReviewCycle.objects.filter(due_on__lt=ends[-1])
        .exclude(status__in=decided, decided_at__lt=_day_start(ends[0] + timedelta(days=1)))
        .annotate(first_submitted=Min("submissions__submitted_at"))
    )
    aggregates = {}
    for i, end in enumerate(ends):
        end_at = _day_start(end + timedelta(days=1))
        aggregates[f"m{i}"] = Count(
            "pk",
            filter=Q(due_on__lt=end, opened_at__lt=end_at)
            & (Q(first_submitted__isnull=True) | Q(first_submitted__gte=end_at))
            & ~Q(status__in=decided, decided_at__lt=end_at),
        )
    counts = cycles.aggregate(**aggregates)
    return Figure(
        "overdue",
        _("Attestations overdue at each month's end"),
        "line",
        [end.strftime("%Y-%m") for end in ends],
        [{"label": _("Overdue"), "values": [counts[f"m{i}"] for i in range(len(ends))]}],
    )


def findings_by_section(today: date) -> Figure:
    """Findings raised in the last two years, by Guidelines section and severity."""
    since = timezone.now() - timedelta(days=730)
    rows = (
        Finding.objects.filter(raised_at__gte=since)
        .values("criterion__section__number", "severity")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[Any, str], int] = {}
    for row in rows:
        key = (row["criterion__section__number"], row["severity"])
        counts[key] = counts.get(key, 0) + row["n"]
    sections = sorted({s for s, _sev in counts if s is not None})
    keys: list[Any] = [*sections, *([None] if any(s is None for s, _sev in counts) else [])]
    labels = [
        _("Section %(number)s") % {"number": s} if s is not None else _("No criterion")
        for s in keys
    ]
    return Figure(
        "findings",
        _("Findings by Guidelines section and severity (last two years)"),
        "bar",
        labels,
        [
            {"label": str(label), "values": [counts.get((s, value), 0) for s in keys]}
            for value, label in Severity.choices
        ],
        stacked=True,
    )


def chart_figures() -> list[Figure]:
    today = timezone.localdate()
    return [
        members_by_licence_status(),
        outcomes_by_quarter(today),
        days_to_decide(today),
        overdue_cycles_by_month(today),
        findings_by_section(today),
    ]


@dataclass
class Charts:
    figures: list[Figure]
    computed_at: datetime


def charts() -> Charts:
    """The figures, computed at most once every ``ALLIANCE_CHARTS_CACHE_SECONDS`` per language
    (their labels are translated) and day: aggregates over every member and cycle, which staff
    read as trends."""
    seconds = settings.ALLIANCE_CHARTS_CACHE_SECONDS
    key = f"workbench-charts:{get_language()}:{timezone.localdate().isoformat()}"
    found = cache.get(key) if seconds else None
    if isinstance(found, Charts):
        return found
    fresh = Charts(figures=chart_figures(), computed_at=timezone.now())
    if seconds:
        cache.set(key, fresh, timeout=seconds)
    return fresh
