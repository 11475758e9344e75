"""A member's own certificates page: current and past, PDF download (audited), verification
link and QR code; another member's user finds nothing."""

import hashlib

import pytest
from django.urls import reverse

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import CertificateStatus, ComplianceCertificate
from compliance.services.certificates import verification_url
from members.models import Membership, Role
from tests.factories import UserFactory, member_with
from tests.helpers import login_with_password

from .test_certificates import pending_certificate

S = CertificateStatus


def issued_certificate(staff) -> ComplianceCertificate:
    certificate = pending_certificate(staff)
    return services.certificate_render(certificate_id=certificate.pk)


@pytest.mark.django_db
class TestCertificatesPage:
    def test_a_member_user_sees_current_and_past_certificates_with_link_and_qr(
        self, client, staff_user
    ):
        certificate = issued_certificate(staff_user)
        older = issued_certificate(staff_user)  # another member's; made past below
        ComplianceCertificate.objects.filter(pk=older.pk).update(
            member=certificate.member, licence=certificate.licence, status=S.SUPERSEDED
        )
        officer = UserFactory()
        Membership.objects.create(
            member=certificate.member, user=officer, role=Role.COMPLIANCE_OFFICER
        )
        login_with_password(client, officer)
        page = client.get(reverse("compliance:certificates")).content.decode()
        assert certificate.number in page and older.number in page
        assert verification_url(certificate) in page
        assert "<svg" in page  # the QR code of the valid one, inline
        assert reverse("compliance:certificate_pdf", args=[certificate.pk]) in page
        assert reverse("compliance:certificate_pdf", args=[older.pk]) in page

    def test_a_stranger_sees_none_of_them(self, client, staff_user):
        certificate = issued_certificate(staff_user)
        _other, stranger = member_with(Role.SIGNATORY)
        login_with_password(client, stranger)
        page = client.get(reverse("compliance:certificates")).content.decode()
        assert certificate.number not in page
        assert "You hold no valid certificate at the moment." in page

    def test_the_page_needs_a_login(self, client):
        response = client.get(reverse("compliance:certificates"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_the_dashboard_links_to_it(self, client, staff_user):
        certificate = issued_certificate(staff_user)
        login_with_password(client, certificate.member.memberships.get().user)
        page = client.get(reverse("dashboard")).content.decode()
        assert reverse("compliance:certificates") in page


@pytest.mark.django_db
class TestCertificateDownload:
    def test_stranger_404_then_owner_200_and_audited(self, client, staff_user):
        certificate = issued_certificate(staff_user)
        url = reverse("compliance:certificate_pdf", args=[certificate.pk])
        _other, stranger = member_with(Role.SIGNATORY)
        login_with_password(client, stranger)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404  # whatever the method
        owner = certificate.member.memberships.get().user
        login_with_password(client, owner)
        response = client.get(url)
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert content.startswith(b"%PDF")
        assert hashlib.sha256(content).hexdigest() == certificate.pdf.sha256
        event = AuditEvent.objects.get(action="document.downloaded", actor=owner)
        assert event.target_id == str(certificate.pdf_id)
        assert client.post(url).status_code == 405

    def test_a_pending_certificate_has_no_download(self, client, staff_user):
        certificate = pending_certificate(staff_user)
        login_with_password(client, certificate.member.memberships.get().user)
        url = reverse("compliance:certificate_pdf", args=[certificate.pk])
        assert client.get(url).status_code == 404
        page = client.get(reverse("compliance:certificates")).content.decode()
        assert certificate.number in page and url not in page

    def test_the_page_query_count_does_not_grow_with_certificates(
        self, client, staff_user, django_assert_max_num_queries
    ):
        certificate = issued_certificate(staff_user)
        for _n in range(3):
            extra = issued_certificate(staff_user)
            ComplianceCertificate.objects.filter(pk=extra.pk).update(
                member=certificate.member, licence=certificate.licence, status=S.EXPIRED
            )
        login_with_password(client, certificate.member.memberships.get().user)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("compliance:certificates")).status_code == 200


@pytest.mark.django_db
def test_the_demo_shows_certificates_notifications_and_a_digest_user(
    client, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from alliance_portal.models import Notification
    from members.models import User

    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")  # idempotent: nothing added the second time
    for user in User.objects.all():
        assert Notification.objects.filter(user=user).exists(), user.email
    assert Notification.objects.filter(template="demo_welcome").count() <= User.objects.count()
    assert User.objects.get(email="officer@example.com").email_delivery == "daily"
    member = User.objects.get(email="member@example.com")
    certificate = ComplianceCertificate.objects.get(
        member__memberships__user=member, status=S.ISSUED
    )
    login_with_password(client, member)
    page = client.get(reverse("compliance:certificates")).content.decode()
    assert certificate.number in page
    assert reverse("compliance:certificate_pdf", args=[certificate.pk]) in page
