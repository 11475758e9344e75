"""What members and staff send to the compliance pages: the declaration asks for a recent
authentication, and free text has a maximum refused with a message (nothing saved, nothing
cut short)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import Answer, CaseStatus, Finding, ForfeitureCase, Submission
from tests.factories import answer_everything, cycle_for, licence_in, signatory_of
from tests.helpers import login_with_mfa, login_with_password, reauthenticate

DECLARATION = {"typed_name": "Olga Ivanova", "declared": "on"}


@pytest.fixture
def ready_cycle(db):
    cycle = cycle_for("open")
    answer_everything(cycle, signatory_of(cycle.member))
    return cycle


@pytest.mark.django_db
class TestDeclarationAsksForARecentAuthentication:
    def test_a_login_ten_minutes_old_is_sent_to_reauthenticate_and_nothing_is_submitted(
        self, client, ready_cycle
    ):
        login_with_password(client, signatory_of(ready_cycle.member), seconds_ago=600)
        url = reverse("compliance:cycle_submit", args=[ready_cycle.pk])
        assert client.get(url).status_code == 200  # reading the declaration asks for nothing
        response = client.post(url, DECLARATION)
        assert response.status_code == 302
        assert response.url == f"{reverse('account_reauthenticate')}?next={quote(url, safe='')}"
        ready_cycle.refresh_from_db()
        assert ready_cycle.status == "open"
        assert not Submission.objects.exists()

    def test_after_reauthenticating_the_declaration_is_submitted(self, client, ready_cycle):
        signatory = signatory_of(ready_cycle.member)
        login_with_password(client, signatory, seconds_ago=600)
        at = reauthenticate(client, signatory)
        response = client.post(
            reverse("compliance:cycle_submit", args=[ready_cycle.pk]), DECLARATION
        )
        assert response.url == reverse("compliance:cycle_detail", args=[ready_cycle.pk])
        ready_cycle.refresh_from_db()
        assert ready_cycle.status == "submitted"
        submission = Submission.objects.get(cycle=ready_cycle)
        assert submission.typed_name == "Olga Ivanova"
        # The evidence records when the signatory proved who they are.
        assert submission.authenticated_at is not None
        assert abs(submission.authenticated_at.timestamp() - at) < 1
        event = AuditEvent.objects.get(action="cycle.submitted", target_id=str(ready_cycle.pk))
        assert event.payload["authenticated_at"] == submission.authenticated_at.isoformat()

    def test_a_name_too_long_is_a_400_with_the_message(self, client, ready_cycle):
        signatory = signatory_of(ready_cycle.member)
        login_with_password(client, signatory)
        response = client.post(
            reverse("compliance:cycle_submit", args=[ready_cycle.pk]),
            {**DECLARATION, "typed_name": "N" * 201},
        )
        assert response.status_code == 400
        assert "at most 200 characters (it has 201)" in response.content.decode()
        assert not Submission.objects.exists()


@pytest.fixture
def open_finding(db, staff_user):
    cycle = cycle_for("accepted")
    return Finding.objects.create(
        cycle=cycle,
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() + timedelta(days=9),
        raised_by=staff_user,
    )


@pytest.mark.django_db
class TestMembersText:
    def test_a_too_long_explanation_is_a_400_and_not_saved(self, client):
        cycle = cycle_for("open")
        criterion = cycle.answers.first().criterion
        client.force_login(signatory_of(cycle.member))
        response = client.post(
            reverse("compliance:answer_save", args=[cycle.pk, criterion.pk]),
            {"answer": "partial", "explanation": "e" * 5001},
            headers={"hx-request": "true"},
        )
        assert response.status_code == 400
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        answer = Answer.objects.get(cycle=cycle, criterion=criterion)
        assert (answer.answer, answer.explanation) == ("", "")

    def test_an_action_taken_too_long_is_refused_not_cut(self, client, open_finding):
        client.force_login(signatory_of(open_finding.cycle.member))
        response = client.post(
            reverse("compliance:finding_detail", args=[open_finding.pk]), {"text": "a" * 5001}
        )
        assert response.status_code == 400
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        open_finding.refresh_from_db()
        assert (open_finding.status, open_finding.action_taken) == ("open", "")

    def test_a_response_too_long_is_refused_not_cut(self, client, staff_user):
        licence = licence_in("active")
        case = services.case_open(
            actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Logo on scrap."
        )
        services.case_send_notice(actor=staff_user, case=case)
        client.force_login(signatory_of(licence.member))
        response = client.post(
            reverse("compliance:case_detail", args=[case.pk]), {"text": "r" * 20001}
        )
        assert response.status_code == 400
        assert "at most 20000 characters (it has 20001)" in response.content.decode()
        case.refresh_from_db()
        assert case.response == "" and case.status == CaseStatus.NOTICE_SENT


@pytest.mark.django_db
class TestStaffText:
    def test_a_too_long_narrative_opens_no_case(self, client, staff_user):
        licence = licence_in("active")
        login_with_mfa(client, staff_user)
        response = client.post(
            reverse("admin:compliance_forfeiturecase_add"),
            {"licence": licence.pk, "grounds": "logo_misuse", "narrative": "n" * 20001},
        )
        assert response.status_code == 200
        assert "at most 20000 characters (it has 20001)" in response.content.decode()
        assert not ForfeitureCase.objects.exists()

    def test_a_too_long_finding_is_not_raised(self, client, staff_user):
        cycle = cycle_for("in_review")
        login_with_mfa(client, staff_user)
        response = client.post(
            reverse("admin:compliance_finding_add"),
            {
                "cycle": cycle.pk,
                "criterion": cycle.answers.first().criterion_id,
                "severity": "major",
                "description": "d" * 5001,
                "corrective_action": "Adopt one.",
                "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            },
        )
        assert response.status_code == 200
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        assert not Finding.objects.exists()

    @pytest.mark.parametrize(
        ("form", "data", "field", "limit"),
        [
            ("NoteForm", {}, "note", 5000),
            ("GradeForm", {"grade": "compliant"}, "note", 5000),
            ("RejectForm", {"grade": "minor"}, "note", 5000),
            ("DecideForm", {"decision": "warning"}, "reasons", 5000),
            ("ReinstateForm", {}, "reason", 5000),
            ("ConfirmNoticeForm", {}, "note", 2000),
            ("ReviewerNoteForm", {}, "reviewer_note", 2000),
        ],
    )
    def test_every_staff_form_has_its_limit(self, form, data, field, limit):
        from compliance import admin

        form_class = getattr(admin, form)
        assert form_class({**data, field: "x" * limit}).is_valid()
        too_long = form_class({**data, field: "x" * (limit + 1)})
        assert not too_long.is_valid()
        assert f"at most {limit} characters" in str(too_long.errors[field])
