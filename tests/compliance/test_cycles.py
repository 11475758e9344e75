"""Review cycles and findings: state machines, who may do what, frozen answers, rounds."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from alliance_portal.models import AuditEvent
from alliance_portal.states import IllegalTransition
from compliance import services
from compliance.models import (
    CYCLE_TRANSITIONS,
    FINDING_TRANSITIONS,
    CycleStatus,
    FindingStatus,
    ReviewCycle,
    Submission,
)
from members.models import Membership, Role
from tests.factories import (
    MemberFactory,
    UserFactory,
    answer_everything,
    cycle_for,
    licence_in,
    signatory_of,
)
from tests.files import pdf_bytes

C = CycleStatus


def _cycle_action(action, cycle, staff):
    signatory = signatory_of(cycle.member)
    if action == "submit":
        if cycle.is_answerable:
            answer_everything(cycle, signatory)
        return services.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="I. P.", declared=True
        )
    calls = {
        "start_review": lambda: services.cycle_start_review(actor=staff, cycle=cycle),
        "accept": lambda: services.cycle_accept(actor=staff, cycle=cycle, grade="compliant"),
        "request_changes": lambda: services.cycle_request_changes(
            actor=staff, cycle=cycle, note="Add evidence for 2.3."
        ),
        "reject": lambda: services.cycle_reject(
            actor=staff, cycle=cycle, grade="major", note="Evidence missing."
        ),
    }
    return calls[action]()


@pytest.mark.django_db
@pytest.mark.parametrize("status", C.values)
@pytest.mark.parametrize("action", list(CYCLE_TRANSITIONS))
def test_cycle_transitions_from_every_state(action, status, staff_user):
    cycle = cycle_for(status)
    transition = CYCLE_TRANSITIONS[action]
    if status in transition.sources:
        _cycle_action(action, cycle, staff_user)
        cycle.refresh_from_db()
        assert cycle.status == transition.target
    else:
        with pytest.raises(IllegalTransition, match="cannot be done while the status is"):
            _cycle_action(action, cycle, staff_user)
        cycle.refresh_from_db()
        assert cycle.status == status
        assert not AuditEvent.objects.filter(
            action__in=[
                "cycle.submitted",
                "cycle.review_started",
                "cycle.accepted",
                "cycle.changes_requested",
                "cycle.rejected",
            ]
        ).exists()


def _finding(status="open", cycle=None):
    from datetime import timedelta

    from django.utils import timezone

    from compliance.models import Finding

    cycle = cycle or cycle_for("accepted")
    return Finding.objects.create(
        cycle=cycle,
        severity="minor",
        description="Gap",
        corrective_action="Fix it",
        due_on=timezone.localdate() + timedelta(days=30),
        status=status,
        raised_by=UserFactory(staff=True),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("status", FindingStatus.values)
@pytest.mark.parametrize("action", list(FINDING_TRANSITIONS))
def test_finding_transitions_from_every_state(action, status, staff_user):
    finding = _finding(status)
    signatory = signatory_of(finding.cycle.member)
    calls = {
        "submit_action": lambda: services.finding_submit_action(
            actor=signatory, finding=finding, action_taken="Done."
        ),
        "reopen": lambda: services.finding_reopen(actor=staff_user, finding=finding, note="More."),
        "close": lambda: services.finding_close(actor=staff_user, finding=finding),
        "escalate": lambda: services.finding_escalate(
            actor=staff_user, finding=finding, note="Overdue."
        ),
    }
    transition = FINDING_TRANSITIONS[action]
    if status in transition.sources:
        calls[action]()
        finding.refresh_from_db()
        assert finding.status == transition.target
    else:
        with pytest.raises(IllegalTransition):
            calls[action]()
        finding.refresh_from_db()
        assert finding.status == status


@pytest.mark.django_db
class TestWhoAttests:
    def test_a_compliance_officer_prepares_but_cannot_submit(self):
        cycle = cycle_for("open")
        officer = UserFactory()
        Membership.objects.create(member=cycle.member, user=officer, role=Role.COMPLIANCE_OFFICER)
        answer_everything(cycle, officer)
        with pytest.raises(PermissionDenied):
            services.cycle_submit(actor=officer, cycle=cycle, typed_name="O", declared=True)
        cycle.refresh_from_db()
        assert cycle.status == C.OPEN

    def test_a_viewer_cannot_answer(self):
        cycle = cycle_for("open")
        viewer = UserFactory()
        Membership.objects.create(member=cycle.member, user=viewer, role=Role.VIEWER)
        criterion = cycle.answers.first().criterion
        with pytest.raises(PermissionDenied):
            services.answer_save(
                actor=viewer, cycle=cycle, criterion=criterion, answer="compliant", explanation=""
            )

    def test_after_submission_nothing_can_be_edited(self):
        cycle = cycle_for("open")
        signatory = signatory_of(cycle.member)
        answer_everything(cycle, signatory)
        evidence = services.evidence_add(
            actor=signatory,
            cycle=cycle,
            criterion=cycle.answers.first().criterion,
            uploaded_file=SimpleUploadedFile("proof.pdf", pdf_bytes()),
        )
        services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
        criterion = cycle.answers.first().criterion
        with pytest.raises(ValidationError, match="can no longer be changed"):
            services.answer_save(
                actor=signatory,
                cycle=cycle,
                criterion=criterion,
                answer="compliant",
                explanation="",
            )
        with pytest.raises(ValidationError, match="can no longer be changed"):
            services.evidence_add(
                actor=signatory,
                cycle=cycle,
                criterion=criterion,
                uploaded_file=SimpleUploadedFile("late.pdf", pdf_bytes()),
            )
        with pytest.raises(ValidationError, match="can no longer be changed"):
            services.evidence_remove(actor=signatory, evidence=evidence)
        assert cycle.answers.get(criterion=criterion).answer == "not_applicable"


@pytest.mark.django_db
class TestSubmissionAndRounds:
    def test_submit_names_what_is_missing(self):
        cycle = cycle_for("open")
        signatory = signatory_of(cycle.member)
        criterion = cycle.answers.get(criterion__code="2.2").criterion
        services.answer_save(
            actor=signatory, cycle=cycle, criterion=criterion, answer="partial", explanation=""
        )
        with pytest.raises(ValidationError) as refused:
            services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
        messages = refused.value.messages
        assert "2.2 needs an explanation, evidence." in messages
        assert "1.1 needs an answer, evidence." in messages
        with pytest.raises(ValidationError, match="Confirm the declaration"):
            services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=False)

    def test_rounds_are_kept_with_declaration_and_answers(self, staff_user):
        cycle = cycle_for("open")
        signatory = signatory_of(cycle.member)
        answer_everything(cycle, signatory)
        first = services.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="Ivan", declared=True
        )
        assert "Ivan" in first.statement and cycle.member.legal_name in first.statement
        assert len(first.answers) == cycle.answers.count()
        services.cycle_start_review(actor=staff_user, cycle=cycle)
        services.cycle_request_changes(actor=staff_user, cycle=cycle, note="Explain 3.2 more.")
        cycle.refresh_from_db()
        assert (cycle.status, cycle.round) == (C.CHANGES_REQUESTED, 2)
        criterion = cycle.answers.get(criterion__code="3.2").criterion
        services.answer_save(
            actor=signatory,
            cycle=cycle,
            criterion=criterion,
            answer="not_applicable",
            explanation="We employ no production workers; office staff only.",
        )
        second = services.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="Ivan", declared=True
        )
        assert second.round == 2 and second.answers_sha256 != first.answers_sha256
        first.refresh_from_db()
        assert first.review_result == "request_changes" and "3.2" in first.review_note
        services.cycle_start_review(actor=staff_user, cycle=cycle)
        services.cycle_accept(actor=staff_user, cycle=cycle, grade="improvement")
        cycle.refresh_from_db()
        assert cycle.outcome == "improvement"
        assert Submission.objects.filter(cycle=cycle).count() == 2

    def test_a_cycle_needs_a_licence_in_force_and_only_one_at_a_time(self, staff_user):
        with pytest.raises(ValidationError, match="no licence in force"):
            services.cycle_open(actor=staff_user, member=MemberFactory(), kind="ad_hoc")
        licence = licence_in("active")
        services.cycle_open(actor=staff_user, member=licence.member, kind="ad_hoc")
        with pytest.raises(ValidationError, match="already has a review cycle"):
            services.cycle_open(actor=staff_user, member=licence.member, kind="ad_hoc")
        assert ReviewCycle.objects.get().answers.count() == 12  # every criterion of the edition


@pytest.mark.django_db
@pytest.mark.parametrize(("rating", "months"), [("high", 6), ("medium", 12), ("low", 24)])
def test_next_review_follows_the_risk_rating(rating, months):
    from datetime import date

    member = MemberFactory(risk_rating=rating)
    due = services.next_review_due(member, after=date(2026, 1, 31))
    assert due == {6: date(2026, 7, 31), 12: date(2027, 1, 31), 24: date(2028, 1, 31)}[months]


@pytest.mark.django_db
class TestFindingEvidence:
    def test_the_member_adds_evidence_while_the_finding_is_open(self, client, staff_user):
        from django.urls import reverse

        finding = _finding(FindingStatus.OPEN)
        signatory = signatory_of(finding.cycle.member)
        viewer = UserFactory()
        Membership.objects.create(member=finding.cycle.member, user=viewer, role=Role.VIEWER)
        _other, stranger = MemberFactory(), UserFactory()
        Membership.objects.create(member=_other, user=stranger, role=Role.SIGNATORY)
        for refused in (viewer, stranger, staff_user):
            with pytest.raises(PermissionDenied):
                services.finding_add_evidence(
                    actor=refused,
                    finding=finding,
                    uploaded_file=SimpleUploadedFile("x.pdf", pdf_bytes()),
                )
        added = services.finding_add_evidence(
            actor=signatory,
            finding=finding,
            uploaded_file=SimpleUploadedFile("policy.pdf", pdf_bytes()),
        )
        assert added is not None and list(finding.evidence.all()) == [added]
        assert AuditEvent.objects.filter(
            action="finding.evidence_added", actor=signatory, target_id=str(finding.pk)
        ).exists()
        client.force_login(signatory)
        page = client.get(reverse("compliance:finding_detail", args=[finding.pk])).content.decode()
        assert "policy.pdf" in page
        download = reverse("compliance:finding_evidence", args=[finding.pk, added.document_id])
        assert client.get(download).status_code == 200
        services.finding_submit_action(actor=signatory, finding=finding, action_taken="Adopted.")
        with pytest.raises(ValidationError, match="while the finding is open"):
            services.finding_add_evidence(
                actor=signatory,
                finding=finding,
                uploaded_file=SimpleUploadedFile("late.pdf", pdf_bytes()),
            )
        assert finding.evidence.count() == 1


@pytest.mark.django_db
def test_the_dashboard_lists_the_reviews_under_way_only(client):
    from django.urls import reverse

    from compliance.selectors import open_cycles_for_dashboard

    licence = licence_in("active")
    decided = cycle_for("accepted", licence=licence)
    under_way = cycle_for("changes_requested", licence=licence)
    signatory = signatory_of(licence.member)
    assert list(open_cycles_for_dashboard(signatory)) == [under_way]
    client.force_login(signatory)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("compliance:cycle_detail", args=[under_way.pk]) in html
    assert reverse("compliance:cycle_detail", args=[decided.pk]) not in html
