"""Approving an application needs the checklist complete and an explicit risk rating."""

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members import services
from members.models import Application, ApplicationStatus, Member
from tests.factories import CHECKLIST_DONE, complete_application
from tests.helpers import login_with_mfa

S = ApplicationStatus


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


def approve_url(application):
    return reverse("admin:members_application_act", args=[application.pk, "approve"])


@pytest.mark.django_db
class TestTheService:
    def test_refuses_an_incomplete_checklist_naming_what_is_missing(self, staff_user):
        application = complete_application(
            status=S.UNDER_REVIEW, **{**CHECKLIST_DONE, "check_aml": False, "check_kp": False}
        )
        with pytest.raises(ValidationError) as refused:
            services.application_approve(
                actor=staff_user, application=application, risk_rating="low"
            )
        message = refused.value.messages[0]
        assert "Complete the review checklist" in message
        assert "AML/KYC policy reviewed" in message
        assert "Kimberley Process registration verified" in message
        assert "sanctions screening clear" not in message
        application.refresh_from_db()
        assert application.status == S.UNDER_REVIEW and not Member.objects.exists()

    def test_refuses_a_missing_risk_rating(self, staff_user):
        application = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        for rating in ("", None, "extreme"):
            with pytest.raises(ValidationError, match="Choose a risk rating"):
                services.application_approve(
                    actor=staff_user, application=application, risk_rating=rating
                )
        assert not Member.objects.exists()

    def test_approves_with_both(self, staff_user):
        application = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        member = services.application_approve(
            actor=staff_user, application=application, risk_rating="medium"
        )
        assert member.risk_rating == "medium"


@pytest.mark.django_db
class TestTheForm:
    def test_no_risk_rating_is_preselected_and_the_checklist_is_shown(self, staff_client):
        application = complete_application(
            status=S.UNDER_REVIEW, **{**CHECKLIST_DONE, "check_financials": False}
        )
        page = lxml.html.fromstring(staff_client.get(approve_url(application)).content.decode())
        options = page.xpath('//select[@name="risk_rating"]/option')
        assert options[0].get("value") == ""
        assert [o.get("value") for o in options if o.get("selected") is not None] in ([], [""])
        checklist = page.get_element_by_id("approval-checklist").text_content()
        assert "✗ Financial statements reviewed" in checklist
        assert "✓ Company identity verified" in checklist

    def test_without_a_rating_nothing_is_approved(self, staff_client):
        application = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        refused = staff_client.post(approve_url(application), {"reason": "Welcome."})
        assert refused.status_code == 400
        assert "This field is required" in refused.content.decode()
        assert Application.objects.get(pk=application.pk).status == S.UNDER_REVIEW

    def test_with_an_incomplete_checklist_nothing_is_approved(self, staff_client):
        application = complete_application(status=S.UNDER_REVIEW)
        refused = staff_client.post(approve_url(application), {"risk_rating": "high"})
        assert refused.status_code == 400
        assert "Complete the review checklist before approving" in refused.content.decode()
        assert Application.objects.get(pk=application.pk).status == S.UNDER_REVIEW
        assert not Member.objects.exists()

    def test_with_both_the_member_is_made(self, staff_client):
        application = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        done = staff_client.post(approve_url(application), {"risk_rating": "high"})
        assert done.status_code == 302
        assert Member.objects.get().risk_rating == "high"
        changelist = staff_client.get(reverse("admin:members_application_changelist"))
        member_page = reverse("workbench:member", args=[Member.objects.get().pk])
        assert member_page in changelist.content.decode()
