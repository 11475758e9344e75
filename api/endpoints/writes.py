"""Writes, through the same services as the admin: they check the user's permission, lock,
record their own audit event and tell the member. A write token is needed; each write also
records which token made it."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Status
from ninja.params import functions as param

from alliance_portal.audit import audit_record
from compliance import selectors as compliance_selectors
from compliance import services as compliance_services
from compliance.models import CycleKind
from licensing.selectors import criterion_of_edition
from members import selectors as members_selectors
from members import services as members_services

from ..auth import require_staff, require_write, token_of
from ..schemas import (
    MAX_ID,
    CycleOpenIn,
    CycleOut,
    FindingIn,
    FindingOut,
    MemberOut,
    RiskRatingIn,
    cycle_data,
    finding_data,
    member_data,
)
from .records import router

T = TypeVar("T")
WRITES = ["writes"]


def _write(request: HttpRequest, operation: str, call: Callable[[], T]) -> T:
    """Run a service call and record, in its transaction, which token asked for it."""
    token = token_of(request)
    with transaction.atomic():
        result = call()
        audit_record(
            actor=token.user,
            action="api_token.used",
            target=token,
            payload={"operation": operation, "method": request.method, "path": request.path},
            request=request,
        )
    return result


def _referenced(load: Callable[[], T], message: str) -> T:
    """A record named in the body: missing (or not the caller's to see) is invalid input."""
    try:
        return load()
    except ObjectDoesNotExist:
        raise ValidationError(message) from None


@router.put(
    "/members/{member_id}/risk-rating",
    response=MemberOut,
    operation_id="set_member_risk_rating",
    tags=WRITES,
)
def set_risk_rating(
    request: HttpRequest, body: RiskRatingIn, member_id: int = param.Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    """Set a member's risk rating (it sets how often the member is reviewed)."""
    require_write(request)
    actor = require_staff(request, "members.view_member")
    member = members_selectors.members_for_staff().get(pk=member_id)
    updated = _write(
        request,
        "set_member_risk_rating",
        lambda: members_services.member_update(
            actor=actor, member=member, changes={"risk_rating": body.risk_rating}, request=request
        ),
    )
    return member_data(updated)


@router.post("/cycles", response={201: CycleOut}, operation_id="open_ad_hoc_cycle", tags=WRITES)
def open_cycle(request: HttpRequest, body: CycleOpenIn) -> Status[dict[str, Any]]:
    """Open an ad hoc review cycle on the member's licence in force."""
    require_write(request)
    actor = require_staff(request, "compliance.view_reviewcycle")
    member = _referenced(
        lambda: members_selectors.members_for_staff().get(pk=body.member_id),
        _("There is no such member."),
    )
    cycle = _write(
        request,
        "open_ad_hoc_cycle",
        lambda: compliance_services.cycle_open(
            actor=actor, member=member, kind=CycleKind.AD_HOC, due_on=body.due_on, request=request
        ),
    )
    return Status(201, cycle_data(cycle))


@router.post("/findings", response={201: FindingOut}, operation_id="raise_finding", tags=WRITES)
def raise_finding(request: HttpRequest, body: FindingIn) -> Status[dict[str, Any]]:
    """Raise a finding on a review cycle, optionally against one Guidelines criterion."""
    require_write(request)
    actor = require_staff(request, "compliance.view_finding")
    cycle = _referenced(
        lambda: (
            compliance_selectors.cycles_for_staff()
            .select_related("licence", "member")
            .get(pk=body.cycle_id)
        ),
        _("There is no such review cycle."),
    )
    criterion = None
    if body.criterion:
        criterion = _referenced(
            lambda: criterion_of_edition(cycle.edition_id, body.criterion or ""),
            _("The criterion is not one of this cycle's Guidelines."),
        )
    finding = _write(
        request,
        "raise_finding",
        lambda: compliance_services.finding_raise(
            actor=actor,
            cycle=cycle,
            severity=body.severity,
            description=body.description,
            corrective_action=body.corrective_action,
            due_on=body.due_on,
            criterion=criterion,
            request=request,
        ),
    )
    finding = compliance_selectors.findings_for_staff().get(pk=finding.pk)
    return Status(201, finding_data(finding))
