"""Irreversible member actions happen only from their confirm step (no JavaScript needed):
without confirm=yes nothing changes, a stranger gets 404 and a viewer 403 on the same URL."""

import lxml.html
import pytest
from django.urls import reverse

from alliance_portal.models import AuditEvent
from members.models import Application, ApplicationStatus, Membership, Role
from tests.factories import UserFactory, complete_application, member_with

S = ApplicationStatus


def _confirm_form(html: str):
    (form,) = lxml.html.fromstring(html).xpath('//*[@id="confirm-step"]//form')
    (button,) = form.xpath('.//button[@type="submit"]')
    return form, (button.get("name"), button.get("value"))


@pytest.fixture
def draft(db):
    applicant = UserFactory()
    return complete_application(applicant=applicant), applicant


@pytest.mark.django_db
class TestWithdraw:
    def test_the_detail_page_links_to_a_confirm_step_that_withdraws(self, client, draft):
        application, applicant = draft
        client.force_login(applicant)
        url = reverse("portal:application_withdraw", args=[application.pk])
        detail = client.get(reverse("portal:application_detail", args=[application.pk]))
        assert f'href="{url}"' in detail.content.decode()

        page = client.get(url)
        assert page.status_code == 200
        form, (name, value) = _confirm_form(page.content.decode())
        assert form.get("action") == url and form.get("method") == "post"
        assert (name, value) == ("confirm", "yes")
        application.refresh_from_db()
        assert application.status == S.DRAFT  # showing the step changes nothing

        events = AuditEvent.objects.count()
        skipped = client.post(url)  # a stale one-click form, or a forged post
        assert skipped.status_code == 400 and 'id="confirm-step"' in skipped.content.decode()
        assert client.post(url, {"confirm": "no"}).status_code == 400
        application.refresh_from_db()
        assert application.status == S.DRAFT and AuditEvent.objects.count() == events

        done = client.post(url, {name: value})
        assert done.status_code == 302
        application.refresh_from_db()
        assert application.status == S.WITHDRAWN

    def test_a_stranger_gets_404_and_a_viewer_403(self, client, draft):
        application, _applicant = draft
        member, _signatory = member_with(Role.SIGNATORY)
        Application.objects.filter(pk=application.pk).update(member=member)
        viewer = UserFactory()
        Membership.objects.create(member=member, user=viewer, role=Role.VIEWER)
        url = reverse("portal:application_withdraw", args=[application.pk])
        client.force_login(UserFactory())
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirm": "yes"}).status_code == 404
        client.force_login(viewer)
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "yes"}).status_code == 403
        application.refresh_from_db()
        assert application.status == S.DRAFT
        client.force_login(_signatory)
        assert client.get(url).status_code == 200


@pytest.mark.django_db
class TestDocumentRemoval:
    def test_removal_needs_the_confirm_step(self, client, draft):
        application, applicant = draft
        link = application.documents.select_related("document").first()
        url = reverse("portal:application_document_remove", args=[application.pk, link.document_id])
        client.force_login(applicant)
        detail = client.get(reverse("portal:application_detail", args=[application.pk]))
        assert f'href="{url}"' in detail.content.decode()
        page = client.get(url)
        assert page.status_code == 200 and link.document.original_name in page.content.decode()
        assert client.post(url).status_code == 400
        assert application.documents.filter(pk=link.pk).exists()
        assert client.post(url, {"confirm": "yes"}).status_code == 302
        assert not application.documents.filter(pk=link.pk).exists()

    def test_a_stranger_gets_404(self, client, draft):
        application, applicant = draft
        link = application.documents.first()
        url = reverse("portal:application_document_remove", args=[application.pk, link.document_id])
        client.force_login(UserFactory())
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirm": "yes"}).status_code == 404
        assert application.documents.filter(pk=link.pk).exists()
        client.force_login(applicant)
        assert client.get(url).status_code == 200


@pytest.mark.django_db
class TestTeamRemoval:
    def test_removing_a_colleague_needs_the_confirm_step(self, client):
        member, signatory = member_with(Role.SIGNATORY)
        colleague = UserFactory(email="colleague@example.org")
        membership = Membership.objects.create(member=member, user=colleague, role=Role.VIEWER)
        url = reverse("portal:team_remove", args=[member.pk, membership.pk])
        client.force_login(signatory)
        team = client.get(reverse("portal:team", args=[member.pk]))
        assert f'href="{url}"' in team.content.decode()
        page = client.get(url)
        assert page.status_code == 200 and "colleague@example.org" in page.content.decode()
        assert client.post(url).status_code == 400
        assert Membership.objects.filter(pk=membership.pk).exists()
        assert client.post(url, {"confirm": "yes"}).status_code == 302
        assert not Membership.objects.filter(pk=membership.pk).exists()

    def test_a_stranger_gets_404_and_a_viewer_403(self, client):
        member, signatory = member_with(Role.SIGNATORY)
        viewer = UserFactory()
        membership = Membership.objects.create(member=member, user=viewer, role=Role.VIEWER)
        url = reverse("portal:team_remove", args=[member.pk, membership.pk])
        client.force_login(UserFactory())
        assert client.get(url).status_code == 404
        client.force_login(viewer)
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "yes"}).status_code == 403
        assert Membership.objects.filter(pk=membership.pk).exists()
        client.force_login(signatory)
        assert client.get(url).status_code == 200
