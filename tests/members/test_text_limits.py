"""Free text has a maximum, refused with a message and never cut short (nothing is saved)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alliance_portal.models import AuditEvent
from members import services
from members.models import Application, ApplicationStatus, InformationRequest, Member
from tests.factories import ApplicationFactory, MemberFactory, complete_application
from tests.helpers import form_values, login_with_mfa

S = ApplicationStatus
ONE_MEGABYTE = "Moscow, " + "x" * 1_000_000


@pytest.mark.django_db
class TestApplicantsText:
    def test_a_megabyte_address_is_a_400_with_the_message_and_nothing_is_saved(self, client):
        application = ApplicationFactory(legal_name="Before Ltd")
        client.force_login(application.applicant)
        events = AuditEvent.objects.count()
        response = client.post(
            reverse("portal:application_edit", args=[application.pk]),
            {"legal_name": "After Ltd", "address": ONE_MEGABYTE},
        )
        assert response.status_code == 400
        assert "at most 500 characters (it has 1000008)" in response.content.decode()
        application.refresh_from_db()
        assert (application.legal_name, application.address) == ("Before Ltd", "")
        assert AuditEvent.objects.count() == events

    def test_an_address_of_500_characters_is_kept_whole(self, client):
        application = ApplicationFactory()
        client.force_login(application.applicant)
        address = "A" * 500
        response = client.post(
            reverse("portal:application_edit", args=[application.pk]), {"address": address}
        )
        assert response.status_code == 302
        application.refresh_from_db()
        assert application.address == address

    def test_a_too_long_answer_to_a_request_is_refused_as_such(self, client, staff_user):
        application = complete_application(status=S.UNDER_REVIEW)
        services.application_request_information(
            actor=staff_user, application=application, message="Accounts, please."
        )
        client.force_login(application.applicant)
        response = client.post(
            reverse("portal:application_resubmit", args=[application.pk]),
            {"answer": "y" * 5001},
        )
        assert response.status_code == 400
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        application.refresh_from_db()
        assert application.status == S.INFORMATION_REQUESTED
        assert InformationRequest.objects.get(application=application).answer == ""

    def test_the_service_refuses_what_the_form_would(self):
        # Another way in (a script, a later form) meets the same limit in the model.
        application = ApplicationFactory()
        with pytest.raises(ValidationError, match="at most 500 characters"):
            services.application_update(
                actor=application.applicant,
                application=application,
                data={"address": "z" * 501},
            )
        assert Application.objects.get(pk=application.pk).address == ""


@pytest.mark.django_db
class TestStaffText:
    def test_a_too_long_address_in_the_member_admin_is_refused(self, client, staff_user):
        member = MemberFactory(address="1 Main Street")
        login_with_mfa(client, staff_user)
        url = reverse("admin:members_member_change", args=[member.pk])
        data = form_values(client.get(url).content.decode(), "member_form")
        data["address"] = ["q" * 501]
        response = client.post(url, data)
        assert response.status_code == 200
        assert "at most 500 characters (it has 501)" in response.content.decode()
        assert Member.objects.get(pk=member.pk).address == "1 Main Street"

    def test_a_too_long_request_for_information_is_refused(self, client, staff_user):
        application = complete_application(status=S.UNDER_REVIEW)
        login_with_mfa(client, staff_user)
        url = reverse("admin:members_application_act", args=[application.pk, "request_information"])
        response = client.post(url, {"message": "m" * 5001})
        assert response.status_code == 400
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        application.refresh_from_db()
        assert application.status == S.UNDER_REVIEW
        assert not application.information_requests.exists()
