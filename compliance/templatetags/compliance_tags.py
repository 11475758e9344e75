from typing import Any

from django import template
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString

from compliance.models import (
    AnswerChoice,
    CaseStatus,
    CertificateStatus,
    CycleStatus,
    Decision,
    FindingStatus,
    Grade,
    Grounds,
)
from licensing.models import LicenceStatus
from members.models import ApplicationStatus

register = template.Library()

CHOICES: dict[str, type[models.TextChoices]] = {
    "answer": AnswerChoice,
    "case_status": CaseStatus,
    "cycle_status": CycleStatus,
    "decision": Decision,
    "finding_status": FindingStatus,
    "grade": Grade,
    "grounds": Grounds,
}


@register.filter
def choice_label(code: str, kind: str) -> str:
    """A stored code shown in the language being rendered (e-mails carry codes, not labels)."""
    try:
        return str(CHOICES[kind](code).label)
    except (KeyError, ValueError):
        return code


# The one colour map of statuses, by what each means to the person reading the page:
# success = in good order, warning = the member has to act, primary = with the Customer Policy
# Department, danger = refused or ended against the member, dark = decided, secondary = not
# started or no longer current. It lives in the top app, which sees every model.
_A, _L, _C, _F, _K, _S = (
    ApplicationStatus,
    LicenceStatus,
    CycleStatus,
    FindingStatus,
    CaseStatus,
    CertificateStatus,
)
STATUS_TONES: dict[str, dict[str, str]] = {
    "members.application": {
        _A.DRAFT: "secondary",
        _A.SUBMITTED: "primary",
        _A.UNDER_REVIEW: "primary",
        _A.INFORMATION_REQUESTED: "warning",
        _A.APPROVED: "success",
        _A.REJECTED: "danger",
        _A.WITHDRAWN: "secondary",
    },
    "licensing.licenceagreement": {
        _L.DRAFT: "secondary",
        _L.ISSUED: "primary",
        _L.ACTIVE: "success",
        _L.SUSPENDED: "warning",
        _L.FORFEITED: "danger",
        _L.EXPIRED: "danger",
        _L.TERMINATED: "danger",
        _L.WITHDRAWN: "danger",
    },
    "compliance.reviewcycle": {
        _C.OPEN: "warning",
        _C.CHANGES_REQUESTED: "warning",
        _C.SUBMITTED: "primary",
        _C.IN_REVIEW: "primary",
        _C.ACCEPTED: "success",
        _C.REJECTED: "danger",
    },
    "compliance.finding": {
        _F.OPEN: "warning",
        _F.ACTION_SUBMITTED: "primary",
        _F.CLOSED: "success",
        _F.ESCALATED: "danger",
    },
    "compliance.forfeiturecase": {
        _K.OPENED: "secondary",
        _K.NOTICE_SENT: "warning",
        _K.RESPONSE_RECEIVED: "primary",
        _K.WINDOW_CLOSED: "primary",
        _K.DECIDED: "dark",
    },
    "compliance.compliancecertificate": {
        _S.PENDING: "secondary",
        _S.ISSUED: "success",
        _S.REVOKED: "danger",
        _S.EXPIRED: "secondary",
        _S.SUPERSEDED: "secondary",
    },
}


@register.filter
def status_tone(obj: Any) -> str:
    """``{{ cycle|status_tone }}``: the Bootstrap colour of a model's status."""
    return STATUS_TONES[obj._meta.label_lower][obj.status]


@register.simple_tag
def status_badge(obj: Any, element_id: str = "") -> SafeString:
    """``{% status_badge cycle %}``: a model's status as a badge, in its one colour."""
    tone = status_tone(obj)
    label = obj.get_status_display()
    if element_id:
        return format_html(
            '<span class="badge text-bg-{}" id="{}">{}</span>', tone, element_id, label
        )
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, label)


@register.filter
def attachable_to(library: list[Any], answer: Any) -> list[Any]:
    """The evidence library's documents not yet attached to this answer."""
    return [entry for entry in library if answer.criterion.code not in entry.used_for]
