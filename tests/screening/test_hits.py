"""Hits: triage, four eyes, memory of false positives, and what a confirmed match does."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from alliance_portal.models import AuditEvent
from alliance_portal.states import IllegalTransition
from compliance.models import Grounds
from members import services as members
from members.models import Application, ApplicationStatus, KeyPerson
from screening import services
from screening.models import Hit, HitStatus, Subject
from screening.services import subjects_rescreen_all, subjects_screen_pending
from tests.factories import (
    CHECKLIST_DONE,
    MemberFactory,
    UserFactory,
    complete_application,
    decider,
    licence_in,
)

from .helpers import SIDOROV, SIDOROV_ENTRY, UNRELATED, import_and_screen, owner, write_ftm

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(tmp_path):
    path = write_ftm(tmp_path / "list.json", [*UNRELATED, SIDOROV_ENTRY])
    import_and_screen(path)
    return path


def member_hit(listed, member=None):
    member = member or MemberFactory()
    owner(member=member, **SIDOROV)
    subjects_screen_pending()
    return Hit.objects.get(subject__member=member)


def under_review(hit, staff):
    return services.hit_start_review(actor=staff, hit=hit)


def test_a_hit_is_raised_once_however_often_the_jobs_run(listed):
    hit = member_hit(listed)
    assert hit.status == HitStatus.NEW
    assert subjects_screen_pending()["hits"] == 0
    assert subjects_rescreen_all()["hits"] == 0
    assert Hit.objects.count() == 1
    assert AuditEvent.objects.filter(action="screening.hit_raised").count() == 1


def test_the_pending_job_works_in_batches_and_resumes(listed):
    for i in range(5):
        owner(member=MemberFactory(), name=f"Person{i} Nobody{i}")
    owner(member=MemberFactory(), **SIDOROV)
    first = subjects_screen_pending(batch_size=2, time_budget=0.0)  # stops before any batch
    assert first["screened"] == 0 and first["added"] == 12  # 6 companies and 6 people
    done = subjects_screen_pending(batch_size=2)
    assert done["screened"] == 12 and done["hits"] == 1
    assert not Subject.objects.filter(screened_at__isnull=True).exists()


def test_staff_take_a_hit_under_review_and_strangers_may_not(listed):
    hit = member_hit(listed)
    with pytest.raises(PermissionDenied):
        services.hit_start_review(actor=UserFactory(), hit=hit)
    hit = under_review(hit, UserFactory(staff=True))
    assert hit.status == HitStatus.UNDER_REVIEW
    with pytest.raises(IllegalTransition):
        under_review(hit, UserFactory(staff=True))


def test_a_false_positive_needs_a_reason_and_is_not_raised_again(listed, tmp_path):
    hit = member_hit(listed)
    staff = UserFactory(staff=True)
    with pytest.raises(ValidationError):
        services.hit_mark_false_positive(actor=staff, hit=hit, reason="  ")
    services.hit_mark_false_positive(actor=staff, hit=hit, reason="Another man: passport seen.")
    assert AuditEvent.objects.filter(action="screening.hit_false_positive").exists()

    # The same person recorded again (a new row for a share change) or everyone re-screened:
    # the same data against the same entry stays a false positive.
    person = KeyPerson.objects.get()
    KeyPerson.objects.filter(pk=person.pk).update(ownership_percent=40)
    assert subjects_rescreen_all()["hits"] == 0
    # The same person owning another member: the false positive holds for his data too.
    owner(member=MemberFactory(), **SIDOROV)
    assert subjects_screen_pending()["hits"] == 0
    assert Hit.objects.count() == 1


def test_a_false_positive_is_raised_again_when_the_person_changes(listed):
    hit = member_hit(listed)
    services.hit_mark_false_positive(actor=UserFactory(staff=True), hit=hit, reason="Not him.")
    person = KeyPerson.objects.get()
    KeyPerson.objects.filter(pk=person.pk).update(name_latin="Ivan P. Sidorov")
    result = subjects_screen_pending()
    assert result["retired"] == 1 and result["hits"] == 1
    assert Hit.objects.filter(status=HitStatus.NEW).count() == 1


def test_a_false_positive_is_raised_again_when_the_list_entry_changes(listed, tmp_path):
    hit = member_hit(listed)
    services.hit_mark_false_positive(actor=UserFactory(staff=True), hit=hit, reason="Not him.")
    changed = dict(
        SIDOROV_ENTRY,
        properties={**SIDOROV_ENTRY["properties"], "alias": ["Ivan Sidorov", "Vanya Sidorov"]},
    )
    _version, raised = import_and_screen(write_ftm(tmp_path / "v2.json", [*UNRELATED, changed]))
    assert raised == 1
    new = Hit.objects.get(status=HitStatus.NEW)
    assert new.entry.pk != hit.entry.pk and new.entry.entity_id == hit.entry.entity_id


def test_confirming_needs_a_proposal_and_a_second_permitted_person(listed):
    licence = licence_in("active")
    hit = member_hit(listed, member=licence.member)
    staff, other_staff, boss = UserFactory(staff=True), UserFactory(staff=True), decider()
    hit = under_review(hit, staff)
    # Nothing proposed yet: not even a decision maker confirms.
    with pytest.raises(PermissionDenied):
        services.hit_confirm(actor=boss, hit=hit)
    with pytest.raises(ValidationError):
        services.hit_propose_confirm(actor=staff, hit=hit, note="")
    hit = services.hit_propose_confirm(actor=staff, hit=hit, note="Same passport number.")
    # The proposer, and staff without the decision-maker permission, may not confirm.
    with pytest.raises(PermissionDenied):
        services.hit_confirm(actor=staff, hit=hit)
    with pytest.raises(PermissionDenied):
        services.hit_confirm(actor=other_staff, hit=hit)
    assert Hit.objects.get(pk=hit.pk).status == HitStatus.UNDER_REVIEW

    hit = services.hit_confirm(actor=boss, hit=hit)
    assert hit.status == HitStatus.CONFIRMED and hit.resolved_by == boss
    case = hit.case
    assert case.grounds == Grounds.LEGAL_OR_SANCTIONS and case.licence == licence
    # Opened in the proposer's name, so the decision maker who confirmed may decide it.
    assert case.opened_by == staff
    assert "Иван Петрович Сидоров" in case.narrative
    event = AuditEvent.objects.get(action="screening.hit_confirmed")
    assert event.actor == boss and event.payload["case"] == case.pk


def test_a_decision_maker_cannot_confirm_their_own_proposal(listed):
    boss = decider()
    hit = under_review(member_hit(listed), boss)
    hit = services.hit_propose_confirm(actor=boss, hit=hit, note="Same man.")
    with pytest.raises(PermissionDenied):
        services.hit_confirm(actor=boss, hit=hit)


def test_the_database_refuses_a_confirmation_by_the_proposer(listed):
    boss = decider()
    hit = member_hit(listed)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hit.objects.filter(pk=hit.pk).update(
            status=HitStatus.CONFIRMED, proposed_by=boss, resolved_by=boss
        )


def applicant_hit(listed):
    application = complete_application(status=ApplicationStatus.UNDER_REVIEW)
    members.application_update_checklist(
        actor=UserFactory(staff=True), application=application, checks=CHECKLIST_DONE
    )
    owner(application=application, **SIDOROV)
    subjects_screen_pending()
    application.refresh_from_db()
    return application, Hit.objects.get(subject__application=application)


def test_a_hit_on_an_applicant_holds_the_application_until_resolved(listed):
    application, hit = applicant_hit(listed)
    staff = UserFactory(staff=True)
    assert application.screening_hold and not application.check_sanctions
    # Even with every box ticked, the hold refuses the approval.
    Application.objects.filter(pk=application.pk).update(check_sanctions=True)
    with pytest.raises(ValidationError, match="cannot be approved"):
        members.application_approve(actor=staff, application=application, risk_rating="low")
    Application.objects.filter(pk=application.pk).update(check_sanctions=False)
    with pytest.raises(ValidationError):
        members.application_update_checklist(
            actor=staff, application=application, checks={"check_sanctions": True}
        )
    services.hit_mark_false_positive(actor=staff, hit=hit, reason="Different man.")
    application.refresh_from_db()
    assert not application.screening_hold
    members.application_update_checklist(
        actor=staff, application=application, checks={"check_sanctions": True}
    )
    members.application_approve(actor=staff, application=application, risk_rating="low")


def test_a_confirmed_hit_on_an_applicant_blocks_the_application(listed):
    application, hit = applicant_hit(listed)
    staff, boss = UserFactory(staff=True), decider()
    hit = under_review(hit, staff)
    hit = services.hit_propose_confirm(actor=staff, hit=hit, note="Same man.")
    services.hit_confirm(actor=boss, hit=hit)
    application.refresh_from_db()
    assert application.screening_hold and hit.case is None
    Application.objects.filter(pk=application.pk).update(check_sanctions=True)
    with pytest.raises(ValidationError, match="cannot be approved"):
        members.application_approve(actor=staff, application=application, risk_rating="low")


def test_companies_are_screened_by_their_former_names(tmp_path):
    path = write_ftm(
        tmp_path / "l.json",
        [
            {
                "id": "c-9",
                "schema": "Company",
                "properties": {"name": ["ООО «Полярный алмаз»"], "jurisdiction": ["ru"]},
            }
        ],
    )
    import_and_screen(path)
    member = MemberFactory(
        legal_name="Arctic Stones Ltd", former_names="Polyarny Almaz LLC\n", country="RU"
    )
    assert subjects_screen_pending()["hits"] == 1
    hit = Hit.objects.get()
    assert (
        hit.subject.member == member
        and hit.features["name"]["subject_name"] == "Polyarny Almaz LLC"
    )
