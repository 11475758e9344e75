from django import template
from django.db import models

from compliance.models import (
    AnswerChoice,
    CaseStatus,
    CycleStatus,
    Decision,
    FindingStatus,
    Grade,
    Grounds,
)

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
