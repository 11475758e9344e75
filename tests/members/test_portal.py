"""The member portal: scoping, roles, the journey, query budgets."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, Document
from members.models import (
    Application,
    ApplicationStatus,
    DocumentRequirement,
    Invitation,
    MemberDocument,
    Membership,
    Role,
)
from tests.factories import UserFactory, complete_application, key_person, member_with
from tests.files import multipart, pdf_bytes

S = ApplicationStatus
METHODS = ["get", "post", "put", "patch", "delete"]


@pytest.fixture
def company_a(db):
    """Company A: a member with a signatory, its application and one of its documents."""
    member, signatory = member_with(Role.SIGNATORY)
    application = complete_application(applicant=signatory, status=S.UNDER_REVIEW)
    Application.objects.filter(pk=application.pk).update(member=member)
    invitation = Invitation.objects.create(
        member=member,
        email="x@example.org",
        role=Role.VIEWER,
        token_hash="0" * 64,
        invited_by=signatory,
        expires_at=application.created_at,
    )
    membership = Membership.objects.get(member=member, user=signatory)
    link = application.documents.first()
    MemberDocument.objects.create(
        member=member, requirement=link.requirement, document=link.document
    )
    return {
        "member": member,
        "signatory": signatory,
        "application": application,
        "document": application.documents.first().document,
        "membership": membership,
        "invitation": invitation,
        "person": key_person(member=member, document=application.documents.first().document),
    }


def company_a_urls(a) -> list[str]:
    app, doc, member = a["application"].pk, a["document"].pk, a["member"].pk
    person, app_person = a["person"].pk, a["application"].people.first().pk
    return [
        reverse("portal:application_detail", args=[app]),
        reverse("portal:application_edit", args=[app]),
        reverse("portal:application_upload", args=[app]),
        reverse("portal:application_document", args=[app, doc]),
        reverse("portal:application_document_remove", args=[app, doc]),
        reverse("portal:application_submit", args=[app]),
        reverse("portal:application_resubmit", args=[app]),
        reverse("portal:application_withdraw", args=[app]),
        reverse("portal:member_documents", args=[member]),
        reverse("portal:member_document", args=[member, doc]),
        reverse("portal:team", args=[member]),
        reverse("portal:team_invite", args=[member]),
        reverse("portal:team_change_role", args=[member, a["membership"].pk]),
        reverse("portal:team_remove", args=[member, a["membership"].pk]),
        reverse("portal:invitation_revoke", args=[member, a["invitation"].pk]),
        reverse("portal:person_add", args=[member]),
        reverse("portal:person_detail", args=[person]),
        reverse("portal:person_edit", args=[person]),
        reverse("portal:person_remove", args=[person]),
        reverse("portal:person_document", args=[person]),
        reverse("portal:application_person_add", args=[app]),
        reverse("portal:application_person_edit", args=[app, app_person]),
        reverse("portal:application_person_remove", args=[app, app_person]),
        reverse("portal:application_person_document", args=[app, app_person]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_a_user_of_another_company_gets_404_everywhere(client, company_a, method):
    _member_b, outsider = member_with(Role.SIGNATORY)
    client.force_login(outsider)
    events = AuditEvent.objects.count()
    for url in company_a_urls(company_a):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert AuditEvent.objects.count() == events  # nothing happened, nothing was downloaded
    company_a["application"].refresh_from_db()
    assert company_a["application"].status == S.UNDER_REVIEW
    assert Membership.objects.filter(member=company_a["member"]).count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, company_a):
    for url in company_a_urls(company_a):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
class TestRoles:
    def test_a_viewer_sees_but_cannot_submit_or_invite(self, client, company_a):
        viewer = UserFactory()
        Membership.objects.create(member=company_a["member"], user=viewer, role=Role.VIEWER)
        draft = complete_application(applicant=company_a["signatory"])
        Application.objects.filter(pk=draft.pk).update(member=company_a["member"])
        client.force_login(viewer)
        assert client.get(reverse("portal:application_detail", args=[draft.pk])).status_code == 200
        assert client.get(reverse("portal:team", args=[company_a["member"].pk])).status_code == 200
        assert client.post(reverse("portal:application_submit", args=[draft.pk])).status_code == 403
        invite = client.post(
            reverse("portal:team_invite", args=[company_a["member"].pk]),
            {"email": "friend@example.org", "role": Role.VIEWER},
        )
        assert invite.status_code == 403
        draft.refresh_from_db()
        assert draft.status == S.DRAFT
        assert not Invitation.objects.filter(email="friend@example.org").exists()

    def test_a_compliance_officer_cannot_manage_the_team(self, client, company_a):
        officer = UserFactory()
        Membership.objects.create(
            member=company_a["member"], user=officer, role=Role.COMPLIANCE_OFFICER
        )
        client.force_login(officer)
        url = reverse(
            "portal:team_change_role", args=[company_a["member"].pk, company_a["membership"].pk]
        )
        assert client.post(url, {"role": Role.VIEWER}).status_code == 403
        company_a["membership"].refresh_from_db()
        assert company_a["membership"].role == Role.SIGNATORY


@pytest.mark.django_db
class TestApplicantJourney:
    def test_start_fill_upload_submit_and_see_the_status(
        self, client, django_capture_on_commit_callbacks
    ):
        UserFactory(staff=True)  # someone to tell
        applicant = UserFactory()
        client.force_login(applicant)
        response = client.post(reverse("portal:application_start"), {"personal_data_consent": "on"})
        application = Application.objects.get(applicant=applicant)
        assert response["Location"] == reverse("portal:application_edit", args=[application.pk])

        data = {
            "legal_name": "Yakutia Rough BV",
            "registration_number": "NL-778",
            "country": "NL",
            "address": "Damrak 1, Amsterdam",
            "website": "yakutia-rough.example.com",
            "kp_registration": "KP-NL-9",
            "contract_reference": "LTC-77",
            "is_long_term_client": "true",
            "trades_only_kp_certified": "true",
            "free_of_sanctions": "true",
            "accepts_guidelines": "true",
        }
        edit = reverse("portal:application_edit", args=[application.pk])
        assert client.post(edit, data).status_code == 302
        application.refresh_from_db()
        assert application.website == "https://yakutia-rough.example.com"

        # Submitting early names what is missing, with a 400 and no change.
        early = client.post(reverse("portal:application_submit", args=[application.pk]))
        assert early.status_code == 400
        assert "Upload: Certificate of incorporation." in early.content.decode()

        for requirement in DocumentRequirement.objects.filter(required=True):
            body, content_type = multipart(
                {"requirement": str(requirement.pk), "issued_on": str(timezone.localdate())},
                [("file", f"{requirement.code}.pdf", pdf_bytes())],
            )
            uploaded = client.post(
                reverse("portal:application_upload", args=[application.pk]),
                data=body,
                content_type=content_type,
            )
            assert uploaded.status_code == 302
        # Without owners (or a reason for none) and a director, it is still refused.
        refused = client.post(reverse("portal:application_submit", args=[application.pk]))
        assert refused.status_code == 400
        assert "Name at least one director or authorised signatory." in refused.content.decode()
        add_person = reverse("portal:application_person_add", args=[application.pk])
        owner = {"role": "owner", "name": "Anna de Vries", "ownership_percent": "100"}
        assert client.post(add_person, owner).status_code == 302
        director = {"role": "director", "name": "Anna de Vries"}
        assert client.post(add_person, director).status_code == 302
        with django_capture_on_commit_callbacks(execute=True):
            submitted = client.post(reverse("portal:application_submit", args=[application.pk]))
        assert submitted.status_code == 302
        # A double click: the second POST is answered calmly, nothing is done twice.
        again = client.post(
            reverse("portal:application_submit", args=[application.pk]), follow=True
        )
        assert again.status_code == 200
        assert AuditEvent.objects.filter(action="application.submitted").count() == 1
        assert len([m for m in mail.outbox if "New application" in m.subject]) == 1

        status_page = client.get(reverse("portal:application_detail", args=[application.pk]))
        html = status_page.content.decode()
        assert "Submitted" in html and "We aim to decide by" in html
        assert "Edit company data" not in html  # frozen once submitted
        refused = client.post(edit, {**data, "legal_name": "Changed"})
        assert refused.status_code == 403
        application.refresh_from_db()
        assert application.legal_name == "Yakutia Rough BV"

    def test_bad_company_data_is_a_400_with_the_field_named(self, client):
        application = complete_application()
        client.force_login(application.applicant)
        response = client.post(
            reverse("portal:application_edit", args=[application.pk]),
            {"legal_name": "x" * 500, "website": "not a url at all", "country": "XX"},
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "Ensure this value has at most 200 characters" in html
        assert "Enter a valid URL." in html
        application.refresh_from_db()
        assert application.legal_name == "Arctic Rough Ltd"

    def test_answering_an_information_request(self, client, staff_user):
        from members import services

        application = complete_application(status=S.UNDER_REVIEW)
        services.application_request_information(
            actor=staff_user, application=application, message="Send the 2025 accounts."
        )
        client.force_login(application.applicant)
        page = client.get(reverse("portal:application_detail", args=[application.pk]))
        assert "Send the 2025 accounts." in page.content.decode()
        empty = client.post(
            reverse("portal:application_resubmit", args=[application.pk]), {"answer": ""}
        )
        assert empty.status_code == 400
        assert "Write your answer" in empty.content.decode()
        done = client.post(
            reverse("portal:application_resubmit", args=[application.pk]), {"answer": "Uploaded."}
        )
        assert done.status_code == 302
        application.refresh_from_db()
        assert application.status == S.UNDER_REVIEW

    def test_a_decision_and_its_reason_are_shown(self, client, staff_user):
        from members import services

        application = complete_application(status=S.UNDER_REVIEW)
        services.application_reject(
            actor=staff_user, application=application, reason="The contract has ended."
        )
        client.force_login(application.applicant)
        html = client.get(
            reverse("portal:application_detail", args=[application.pk])
        ).content.decode()
        assert "Not approved" in html and "The contract has ended." in html


@pytest.mark.django_db
def test_status_page_queries_do_not_grow_with_documents(client, django_assert_max_num_queries):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from alliance_portal.documents import document_store
    from members.models import ApplicationDocument

    application = complete_application(status=S.UNDER_REVIEW)
    client.force_login(application.applicant)
    url = reverse("portal:application_detail", args=[application.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    requirement = DocumentRequirement.objects.get(code="ownership-structure")
    for i in range(15):
        document = document_store(
            actor=application.applicant,
            uploaded_file=SimpleUploadedFile(f"extra-{i}.pdf", pdf_bytes()),
        )
        ApplicationDocument.objects.create(
            application=application, requirement=requirement, document=document
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("extra-") == 15
    assert Document.objects.count() >= 19


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_applications(client, django_assert_max_num_queries):
    applicant = UserFactory()
    complete_application(applicant=applicant)
    client.force_login(applicant)
    client.get(reverse("dashboard"))
    complete_application(applicant=applicant)  # the cached body is forgotten: rendered again
    # The dashboard's sections: licences, team, cases, cycles, findings, applications, the
    # documents to update, the personal-data consent and the unread notifications.
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("dashboard"))
    for _ in range(5):
        complete_application(applicant=applicant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard"))


@pytest.mark.django_db
def test_someone_removed_from_the_team_loses_the_company_application(client, company_a):
    from members import services

    second = UserFactory()
    Membership.objects.create(member=company_a["member"], user=second, role=Role.SIGNATORY)
    services.membership_remove(actor=second, membership=company_a["membership"])
    client.force_login(company_a["signatory"])  # the applicant, no longer in the team
    app, doc = company_a["application"].pk, company_a["document"].pk
    assert client.get(reverse("portal:application_detail", args=[app])).status_code == 404
    assert client.get(reverse("portal:application_document", args=[app, doc])).status_code == 404


@pytest.mark.django_db
def test_a_draft_saves_with_only_a_name(client):
    applicant = UserFactory()
    client.force_login(applicant)
    client.post(reverse("portal:application_start"), {"personal_data_consent": "on"})
    application = Application.objects.get(applicant=applicant)
    response = client.post(
        reverse("portal:application_edit", args=[application.pk]), {"legal_name": "Just a name"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.legal_name == "Just a name"
    assert application.is_long_term_client is None
