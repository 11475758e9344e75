"""The public report form: what it keeps, the status link, spam resistance, upload limits."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance_portal.models import AuditEvent, Document
from tests.factories import UserFactory
from tests.files import pdf_bytes, png_bytes
from trust.models import Report, ReportEvidence

from .helpers import listed_member, post_report, rendered_at

pytestmark = pytest.mark.django_db

STATUS_PATH = re.compile(r"^/report/status/([A-Za-z0-9_-]+)/$")


def photo(name="photo.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def nothing_saved():
    return not Report.objects.exists() and not ReportEvidence.objects.exists()


class TestSending:
    def test_an_anonymous_report_with_a_photo_gets_a_reference_and_a_private_link(self, client):
        member, _licence = listed_member()
        response = post_report(
            client,
            files=[photo()],
            member=str(member.pk),
            email="witness@example.net",
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 302
        token = STATUS_PATH.match(response["Location"]).group(1)
        assert len(token) >= 43  # 32 random bytes, URL-safe base64
        report = Report.objects.get()
        assert report.member == member and report.status == "new"
        assert report.reporter_email == "witness@example.net"
        # Only the token's hash is kept.
        assert report.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(Report.objects.values().get())
        (evidence,) = report.evidence.select_related("document")
        assert evidence.document.content_type == "image/png"
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert report.reference in html and "Received" in html
        assert page["Cache-Control"] == "no-store, private"

    def test_the_reporter_is_in_no_audit_event(self, client):
        post_report(client, files=[photo()], email="witness@example.net")
        for event in AuditEvent.objects.all():
            assert event.actor_id is None
            assert event.ip is None
            assert "witness@example.net" not in str(event.payload)

    def test_a_signed_in_member_reporting_is_not_recorded_as_the_reporter(self, client):
        user = UserFactory()
        client.force_login(user)
        assert post_report(client).status_code == 302
        assert not AuditEvent.objects.filter(action="report.submitted", actor=user).exists()

    def test_deadlines_follow_the_settings(self, client, settings):
        settings.ALLIANCE_REPORT_CONCLUDE_DAYS = 10
        post_report(client)
        report = Report.objects.get()
        assert (report.conclude_due_on - report.submitted_at.date()).days == 10
        assert report.acknowledge_due_on.weekday() < 5

    def test_a_member_not_in_the_register_cannot_be_named(self, client):
        unlisted, _licence = listed_member(consent=False)
        response = post_report(client, member=str(unlisted.pk))
        assert response.status_code == 400
        assert nothing_saved()

    def test_missing_description_or_category_is_a_400(self, client):
        assert post_report(client, description="  ").status_code == 400
        assert post_report(client, category="nonsense").status_code == 400
        assert nothing_saved()

    def test_a_wrong_token_is_404(self, client):
        post_report(client)
        assert client.get(reverse("trust:report_status", args=["x" * 43])).status_code == 404


class TestSpam:
    def test_the_honeypot_refuses_and_saves_nothing(self, client):
        response = post_report(client, files=[photo()], website="http://spam.example")
        assert response.status_code == 400
        assert nothing_saved() and not Document.objects.exists()

    def test_a_form_sent_too_fast_is_shown_again_and_nothing_saved(self, client, settings):
        settings.ALLIANCE_REPORT_MIN_SECONDS = 5
        response = post_report(client, rendered_at=rendered_at(seconds_ago=1))
        assert response.status_code == 400
        assert "too quickly" in response.content.decode()
        assert nothing_saved()
        # The form shown again carries a fresh time: sent later, it is accepted.
        assert post_report(client, rendered_at=rendered_at(seconds_ago=6)).status_code == 302

    def test_a_forged_or_missing_time_is_refused(self, client):
        assert post_report(client, rendered_at="1700000000.0").status_code == 400
        assert post_report(client, rendered_at="").status_code == 400
        assert nothing_saved()

    def test_an_old_form_is_refused(self, client, settings):
        assert (
            post_report(client, rendered_at=rendered_at(seconds_ago=2 * 24 * 3600)).status_code
            == 400
        )
        assert nothing_saved()

    def test_the_rate_limit_per_address(self, client, settings):
        settings.ALLIANCE_REPORT_RATE_LIMIT = 2
        assert post_report(client, REMOTE_ADDR="198.51.100.7").status_code == 302
        assert post_report(client, REMOTE_ADDR="198.51.100.7").status_code == 302
        refused = post_report(client, REMOTE_ADDR="198.51.100.7")
        assert refused.status_code == 429
        assert Report.objects.count() == 2
        # Another address is not held back.
        assert post_report(client, REMOTE_ADDR="198.51.100.8").status_code == 302


class TestUploads:
    def test_a_file_over_the_size_limit_saves_nothing(self, client, settings):
        settings.ALLIANCE_UPLOAD_MAX_BYTES = 50
        response = post_report(client, files=[photo()])
        assert response.status_code == 400
        assert "larger than the limit" in response.content.decode()
        assert nothing_saved() and not Document.objects.exists()

    def test_a_file_of_the_wrong_kind_saves_nothing(self, client):
        fake = SimpleUploadedFile("photo.png", pdf_bytes(), content_type="image/png")
        response = post_report(client, files=[photo("ok.png"), fake])
        assert response.status_code == 400
        assert "does not match" in response.content.decode()
        assert nothing_saved() and not Document.objects.exists()

    def test_an_executable_is_refused(self, client):
        exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" * 50)
        assert post_report(client, files=[exe]).status_code == 400
        assert nothing_saved()

    def test_at_most_the_set_number_of_files(self, client, settings):
        settings.ALLIANCE_REPORT_MAX_FILES = 2
        response = post_report(client, files=[photo("a.png"), photo("b.png"), photo("c.png")])
        assert response.status_code == 400
        assert nothing_saved()
        assert post_report(client, files=[photo("a.png"), photo("b.png")]).status_code == 302
        assert ReportEvidence.objects.count() == 2
