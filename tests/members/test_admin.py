"""Staff review of applications and members in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from members.models import Application, ApplicationStatus, Member
from tests.factories import CHECKLIST_DONE, MemberFactory, UserFactory, complete_application
from tests.helpers import login_with_mfa

S = ApplicationStatus


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


def act(client, application, action, data=None):
    url = reverse("admin:members_application_act", args=[application.pk, action])
    return client.post(url, data or {})


@pytest.mark.django_db
class TestApplicationsList:
    def test_filters_for_the_review_target(self, staff_client):
        fresh = complete_application(status=S.UNDER_REVIEW, legal_name="Fresh Ltd")
        late = complete_application(status=S.UNDER_REVIEW, legal_name="Late Ltd")
        very_late = complete_application(status=S.SUBMITTED, legal_name="Very Late Ltd")
        decided = complete_application(status=S.REJECTED, legal_name="Decided Ltd")
        now = timezone.now()
        Application.objects.filter(pk=late.pk).update(submitted_at=now - timedelta(days=40))
        Application.objects.filter(pk__in=[very_late.pk, decided.pk]).update(
            submitted_at=now - timedelta(days=100)
        )
        url = reverse("admin:members_application_changelist")
        past_30 = staff_client.get(url, {"target": "30"}).context["cl"].result_list
        past_90 = staff_client.get(url, {"target": "90"}).context["cl"].result_list
        assert {a.legal_name for a in past_30} == {"Late Ltd", "Very Late Ltd"}
        assert {a.legal_name for a in past_90} == {"Very Late Ltd"}
        found = staff_client.get(url, {"q": "fresh"}).context["cl"].result_list
        assert [a.pk for a in found] == [fresh.pk]
        html = staff_client.get(url).content.decode()
        assert "days overdue" in html and "days left" in html

    def test_changelist_queries_do_not_grow_with_applications(
        self, staff_client, django_assert_max_num_queries
    ):
        url = reverse("admin:members_application_changelist")
        complete_application(status=S.SUBMITTED)
        staff_client.get(url)
        with django_assert_max_num_queries(25) as few:
            staff_client.get(url)
        for _ in range(8):
            complete_application(status=S.UNDER_REVIEW, applicant=UserFactory())
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = staff_client.get(url)
        assert len(response.context["cl"].result_list) == 9


@pytest.mark.django_db
class TestApplicationReview:
    def test_the_page_shows_data_documents_checklist_and_actions(self, staff_client):
        application = complete_application(status=S.SUBMITTED)
        page = staff_client.get(reverse("admin:members_application_change", args=[application.pk]))
        html = page.content.decode()
        assert "Arctic Rough Ltd" in html
        assert "certificate-of-incorporation.pdf" in html
        assert "Company identity verified" in html
        assert "30 days left" in html or "29 days left" in html
        assert (
            reverse("admin:members_application_act", args=[application.pk, "start_review"]) in html
        )
        assert (
            reverse("admin:members_application_act", args=[application.pk, "approve"]) not in html
        )

    def test_staff_download_documents_and_it_is_audited(self, staff_client, staff_user):
        application = complete_application(status=S.SUBMITTED)
        document = application.documents.first().document
        url = reverse("admin:members_application_document", args=[application.pk, document.pk])
        response = staff_client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert AuditEvent.objects.filter(action="document.downloaded", actor=staff_user).exists()

    def test_full_review_with_clear_errors_for_missing_input(self, staff_client, staff_user):
        application = complete_application(status=S.SUBMITTED)
        assert act(staff_client, application, "start_review").status_code == 302
        missing_message = act(staff_client, application, "request_information", {"message": ""})
        assert missing_message.status_code == 400
        assert "This field is required" in missing_message.content.decode()
        assert (
            act(
                staff_client, application, "request_information", {"message": "Accounts?"}
            ).status_code
            == 302
        )
        application.refresh_from_db()
        assert application.status == S.INFORMATION_REQUESTED
        # Approving now is not allowed from this state: a clear message, nothing changes.
        refused = act(staff_client, application, "approve", {"risk_rating": "low"})
        assert refused.status_code == 400
        assert "cannot be done while the status is" in refused.content.decode()
        assert act(staff_client, application, "reject", {"reason": ""}).status_code == 400
        assert act(staff_client, application, "reject", {"reason": "No answer."}).status_code == 302
        application.refresh_from_db()
        assert application.status == S.REJECTED and application.decided_by == staff_user

    def test_approve_sets_the_risk_rating(self, staff_client):
        application = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        assert (
            act(staff_client, application, "approve", {"risk_rating": "extreme"}).status_code == 400
        )
        assert act(staff_client, application, "approve", {"risk_rating": "high"}).status_code == 302
        assert Member.objects.get().risk_rating == "high"

    def test_checklist_changes_are_saved_through_the_service_and_audited(self, staff_client):
        application = complete_application(status=S.UNDER_REVIEW)
        url = reverse("admin:members_application_change", args=[application.pk])
        response = staff_client.post(
            url,
            {
                "check_identity": "on",
                "check_kp": "on",
                "documents-TOTAL_FORMS": "0",
                "documents-INITIAL_FORMS": "0",
                "information_requests-TOTAL_FORMS": "0",
                "information_requests-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        application.refresh_from_db()
        assert application.check_identity and application.check_kp and not application.check_aml
        event = AuditEvent.objects.get(action="application.checklist_updated")
        assert event.payload == {"check_identity": True, "check_kp": True}

    def test_unknown_action_is_404_and_members_get_nothing(self, staff_client, client):
        application = complete_application(status=S.SUBMITTED)
        assert act(staff_client, application, "explode").status_code == 404
        outsider = UserFactory()
        client.force_login(outsider)
        response = client.post(
            reverse("admin:members_application_act", args=[application.pk, "start_review"]),
            follow=True,
        )
        assert response.status_code == 403
        application.refresh_from_db()
        assert application.status == S.SUBMITTED


@pytest.mark.django_db
def test_risk_rating_changes_in_the_member_page_are_audited(staff_client, staff_user):
    member = MemberFactory(risk_rating="low")
    url = reverse("admin:members_member_change", args=[member.pk])
    data = {
        "legal_name": member.legal_name,
        "registration_number": member.registration_number,
        "country": "BE",
        "address": member.address,
        "website": "",
        "kp_registration": member.kp_registration,
        "contract_reference": member.contract_reference,
        "risk_rating": "high",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "applications-TOTAL_FORMS": "0",
        "applications-INITIAL_FORMS": "0",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.risk_rating == "high"
    event = AuditEvent.objects.get(action="member.risk_rating_changed")
    assert event.actor == staff_user
    assert event.payload == {"from": "low", "to": "high"}


@pytest.mark.django_db
def test_change_pages_queries_do_not_grow(staff_client, django_assert_max_num_queries):
    from members.models import InformationRequest, Membership

    application = complete_application(status=S.UNDER_REVIEW)
    member = MemberFactory()
    Membership.objects.create(member=member, user=UserFactory(), role="signatory")
    app_url = reverse("admin:members_application_change", args=[application.pk])
    member_url = reverse("admin:members_member_change", args=[member.pk])
    staff_client.get(app_url)
    staff_client.get(member_url)
    with django_assert_max_num_queries(40) as app_few:
        staff_client.get(app_url)
    with django_assert_max_num_queries(40) as member_few:
        staff_client.get(member_url)
    for i in range(5):
        InformationRequest.objects.create(
            application=application, message=f"Question {i}", requested_by=UserFactory(staff=True)
        )
    for _ in range(10):
        Membership.objects.create(member=member, user=UserFactory(), role="viewer")
    with django_assert_max_num_queries(len(app_few.captured_queries)):
        staff_client.get(app_url)
    with django_assert_max_num_queries(len(member_few.captured_queries)):
        staff_client.get(member_url)


@pytest.mark.django_db
def test_requirement_changes_are_audited(staff_client, staff_user):
    from members.models import DocumentRequirement

    requirement = DocumentRequirement.objects.get(code="ownership-structure")
    response = staff_client.post(
        reverse("admin:members_documentrequirement_change", args=[requirement.pk]),
        {
            "code": requirement.code,
            "title_en": requirement.title_en,
            "title_ru": requirement.title_ru,
            "help_en": requirement.help_en,
            "help_ru": requirement.help_ru,
            "required": "on",
            "active": "on",
            "position": requirement.position,
        },
    )
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert requirement.required
    event = AuditEvent.objects.get(action="requirement.changed")
    assert event.actor == staff_user and event.payload == {"fields": ["required"]}
