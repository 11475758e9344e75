"""Logo-use approval: a member submits a planned use (artwork, medium, markets, dates); staff
approve or reject it with comments; approved uses are listed for the member; the logo kit is
downloaded only once its rules are accepted, and the acceptance is recorded."""

import io
import zipfile
from datetime import timedelta

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, Document, OutboxMessage
from alliance_portal.outbox import relay_pending
from alliance_portal.states import IllegalTransition
from licensing import logo_uses
from licensing.logo_kit import rules_sha256
from licensing.models import LogoKitAcceptance, LogoUse, LogoUseStatus
from members.models import Membership, Role
from tests.factories import (
    UserFactory,
    auditor,
    complete_application,
    licence_in,
    member_with,
    signatory_of,
)
from tests.files import png_bytes
from tests.helpers import login_with_mfa
from tests.smtp_sink import SmtpSink, smtp_settings
from workbench.selectors import home_queues


def artwork(name="box.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def use_data(**overrides):
    today = timezone.localdate()
    return {
        "medium": "packaging",
        "markets": "UAE, India",
        "starts_on": (today + timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=200)).isoformat(),
        "description": "The dark logo on our gift boxes.",
        **overrides,
    }


def submit(member, actor, **overrides):
    data = use_data(**overrides)
    return logo_uses.logo_use_submit(
        actor=actor,
        member=member,
        artwork=artwork(),
        medium=data["medium"],
        markets=data["markets"],
        starts_on=timezone.datetime.fromisoformat(data["starts_on"]).date(),
        ends_on=timezone.datetime.fromisoformat(data["ends_on"]).date(),
        description=data["description"],
    )


@pytest.fixture
def licensee(db):
    """An active licensee with a signatory, a compliance officer and a viewer."""
    licence = licence_in("active")
    member = licence.member
    people = {"signatory": signatory_of(member)}
    for role in (Role.COMPLIANCE_OFFICER, Role.VIEWER):
        people[role] = UserFactory()
        Membership.objects.create(member=member, user=people[role], role=role)
    return licence, member, people


def urls_of(member, use):
    return {
        "logo": (reverse("licensing:logo", args=[member.pk]), "get"),
        "new": (reverse("licensing:logo_use_new", args=[member.pk]), "get"),
        "detail": (reverse("licensing:logo_use_detail", args=[member.pk, use.pk]), "get"),
        "artwork": (reverse("licensing:logo_use_artwork", args=[member.pk, use.pk]), "get"),
        "kit": (reverse("licensing:logo_kit", args=[member.pk]), "post"),
    }


@pytest.mark.django_db
class TestWhoReachesWhat:
    def test_strangers_get_404_and_the_member_200_on_every_url(self, client, licensee):
        _licence, member, people = licensee
        use = submit(member, people["signatory"])
        other_member, stranger = member_with(Role.SIGNATORY)
        licence_in("active", member=other_member)
        applicant = complete_application().applicant
        outsiders = [stranger, auditor(), applicant, UserFactory(staff=True)]
        urls = urls_of(member, use)
        documents, acceptances = Document.objects.count(), LogoKitAcceptance.objects.count()
        for outsider in outsiders:
            login_with_mfa(client, outsider)
            for name, (url, method) in urls.items():
                data = {"accept_rules": "on"} if method == "post" else {}
                response = getattr(client, method)(url, data)
                assert response.status_code == 404, (outsider.email, name)
        assert LogoKitAcceptance.objects.count() == acceptances
        assert Document.objects.count() == documents

        client.force_login(people["signatory"])
        for name, (url, method) in urls.items():
            data = {"accept_rules": "on"} if method == "post" else {}
            response = getattr(client, method)(url, data)
            assert response.status_code == 200, name

    def test_anonymous_is_sent_to_the_login(self, client, licensee):
        _licence, member, people = licensee
        use = submit(member, people["signatory"])
        for name, (url, method) in urls_of(member, use).items():
            response = getattr(client, method)(url)
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("account_login")), name

    def test_a_viewer_reads_but_may_not_submit(self, client, licensee):
        _licence, member, people = licensee
        client.force_login(people[Role.VIEWER])
        assert client.get(reverse("licensing:logo", args=[member.pk])).status_code == 200
        new = reverse("licensing:logo_use_new", args=[member.pk])
        assert client.get(new).status_code == 403
        assert client.post(new, {**use_data(), "artwork": artwork()}).status_code == 403
        assert not LogoUse.objects.exists()
        client.force_login(people[Role.COMPLIANCE_OFFICER])
        assert client.get(new).status_code == 200

    def test_no_new_use_without_a_licence_in_good_standing(self, client):
        licence = licence_in("suspended")
        client.force_login(signatory_of(licence.member))
        new = reverse("licensing:logo_use_new", args=[licence.member_id])
        response = client.post(new, {**use_data(), "artwork": artwork()})
        assert response.status_code == 302
        assert not LogoUse.objects.exists()
        with pytest.raises(PermissionDenied):
            submit(licence.member, signatory_of(licence.member))


@pytest.mark.django_db
class TestSubmission:
    def test_the_officer_submits_and_staff_are_told_at_the_mail_server(
        self, client, licensee, settings, django_capture_on_commit_callbacks
    ):
        _licence, member, people = licensee
        staff = UserFactory(staff=True)
        with SmtpSink() as sink:
            smtp_settings(settings, sink)
            client.force_login(people[Role.COMPLIANCE_OFFICER])
            response = client.post(
                reverse("licensing:logo_use_new", args=[member.pk]),
                {**use_data(), "artwork": artwork()},
            )
            use = LogoUse.objects.get()
            assert response.status_code == 302
            assert response["Location"] == reverse(
                "licensing:logo_use_detail", args=[member.pk, use.pk]
            )
            relay_pending()
        assert use.status == LogoUseStatus.SUBMITTED
        assert use.submitted_by == people[Role.COMPLIANCE_OFFICER]
        assert use.artwork.content_type == "image/png"
        event = AuditEvent.objects.get(action="logo_use.submitted")
        assert event.payload["document"] == str(use.artwork_id)
        [(recipient, message)] = sink.received
        assert recipient == staff.email
        assert member.legal_name in message["Subject"]
        body = message.get_payload()[0].get_payload(decode=True).decode()
        assert f"/admin/licensing/logouse/{use.pk}/change/" in body

    @pytest.mark.parametrize(
        ("overrides", "problem"),
        [
            ({"ends_on": (timezone.localdate() - timedelta(days=400)).isoformat()}, "ends"),
            ({"medium": "skywriting"}, "medium"),
            ({"markets": ""}, "markets"),
            ({"starts_on": "not a date"}, "starts_on"),
        ],
    )
    def test_bad_input_is_a_400_and_nothing_is_saved(self, client, licensee, overrides, problem):
        _licence, member, people = licensee
        client.force_login(people["signatory"])
        documents = Document.objects.count()
        response = client.post(
            reverse("licensing:logo_use_new", args=[member.pk]),
            {**use_data(**overrides), "artwork": artwork()},
        )
        assert response.status_code == 400, problem
        assert not LogoUse.objects.exists()
        assert Document.objects.count() == documents
        assert not AuditEvent.objects.filter(action="logo_use.submitted").exists()

    def test_a_file_that_is_not_what_it_says_is_refused(self, client, licensee):
        _licence, member, people = licensee
        client.force_login(people["signatory"])
        fake = SimpleUploadedFile("box.png", b"#!/bin/sh\necho hi\n", content_type="image/png")
        response = client.post(
            reverse("licensing:logo_use_new", args=[member.pk]), {**use_data(), "artwork": fake}
        )
        assert response.status_code == 400
        assert not LogoUse.objects.exists()

    def test_a_use_ending_before_it_starts_is_refused_by_the_service_too(self, licensee):
        _licence, member, people = licensee
        today = timezone.localdate()
        with pytest.raises(ValidationError, match="ends before it starts"):
            submit(
                member,
                people["signatory"],
                starts_on=(today + timedelta(days=10)).isoformat(),
                ends_on=(today + timedelta(days=5)).isoformat(),
            )
        assert not LogoUse.objects.exists()


@pytest.mark.django_db
class TestDecision:
    def test_only_staff_with_the_permission_decide(self, licensee):
        _licence, member, people = licensee
        use = submit(member, people["signatory"])
        for actor in (
            people["signatory"],
            auditor(),
            UserFactory(is_staff=True, groups=["no such group"]),
        ):
            with pytest.raises(PermissionDenied):
                logo_uses.logo_use_approve(actor=actor, use=use)
        use.refresh_from_db()
        assert use.status == LogoUseStatus.SUBMITTED
        logo_uses.logo_use_approve(actor=UserFactory(staff=True), use=use)
        use.refresh_from_db()
        assert use.status == LogoUseStatus.APPROVED

    def test_a_rejection_needs_its_reason_and_a_decision_is_final(self, licensee):
        _licence, member, people = licensee
        staff = UserFactory(staff=True)
        use = submit(member, people["signatory"])
        with pytest.raises(ValidationError, match="why"):
            logo_uses.logo_use_reject(actor=staff, use=use, comments="  ")
        logo_uses.logo_use_reject(actor=staff, use=use, comments="The logo is stretched.")
        use.refresh_from_db()
        assert (use.status, use.decided_by, use.comments) == (
            LogoUseStatus.REJECTED,
            staff,
            "The logo is stretched.",
        )
        with pytest.raises(IllegalTransition):
            logo_uses.logo_use_approve(actor=staff, use=use)
        with pytest.raises(IllegalTransition):
            logo_uses.logo_use_reject(actor=staff, use=use, comments="Again.")
        assert AuditEvent.objects.filter(action="logo_use.rejected").count() == 1

    def test_staff_approve_in_the_admin_and_the_member_is_told_and_sees_it(
        self, client, licensee, settings
    ):
        _licence, member, people = licensee
        staff = UserFactory(staff=True)
        use = submit(member, people[Role.COMPLIANCE_OFFICER])
        rejected = submit(member, people["signatory"], markets="Belgium")
        OutboxMessage.objects.all().delete()
        with SmtpSink() as sink:
            smtp_settings(settings, sink)
            login_with_mfa(client, staff)
            change = reverse("admin:licensing_logouse_change", args=[use.pk])
            page = client.get(change).content.decode()
            assert reverse("admin:licensing_logouse_act", args=[use.pk, "approve"]) in page
            artwork_url = reverse("admin:licensing_logouse_artwork", args=[use.pk])
            assert client.get(artwork_url).status_code == 200
            response = client.post(
                reverse("admin:licensing_logouse_act", args=[use.pk, "approve"]),
                {"comments": "Keep the clear space."},
            )
            assert response.status_code == 302
            response = client.post(
                reverse("admin:licensing_logouse_act", args=[rejected.pk, "reject"]),
                {"comments": ""},
            )
            assert response.status_code == 400  # the reason is required
            relay_pending()
        use.refresh_from_db()
        assert use.status == LogoUseStatus.APPROVED and use.comments == "Keep the clear space."
        recipients = sorted(recipient for recipient, _message in sink.received)
        assert recipients == sorted(
            [people["signatory"].email, people[Role.COMPLIANCE_OFFICER].email]
        )
        _to, message = sink.received[0]
        assert "approved" in message["Subject"]
        text = message.get_payload()[0].get_payload(decode=True).decode()
        assert "Keep the clear space." in text

        client.force_login(people[Role.VIEWER])
        page = client.get(reverse("licensing:logo", args=[member.pk])).content.decode()
        approved_section = page.split('id="approved"')[1].split('id="pending"')[0]
        assert "UAE, India" in approved_section and "Belgium" not in approved_section


@pytest.mark.django_db
class TestLogoKit:
    def test_refused_without_accepting_the_rules(self, client, licensee):
        _licence, member, people = licensee
        client.force_login(people[Role.VIEWER])
        url = reverse("licensing:logo_kit", args=[member.pk])
        response = client.post(url, {})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert "Accept the rules of use" in response.content.decode()
        # A plain link (an old bookmark, an e-mail) leads to the page with the rules.
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("licensing:logo", args=[member.pk])
        assert not LogoKitAcceptance.objects.exists()
        assert not AuditEvent.objects.filter(action="licence.logo_kit_downloaded").exists()

    def test_recorded_with_the_acceptance_and_carries_the_licence_code(
        self, client, licensee, settings
    ):
        licence, member, people = licensee
        settings.ALLIANCE_BASE_URL = "https://alliance.example.com"
        client.force_login(people[Role.VIEWER])
        response = client.post(
            reverse("licensing:logo_kit", args=[member.pk]),
            {"accept_rules": "on"},
            HTTP_USER_AGENT="Test browser 1.0",
            REMOTE_ADDR="198.51.100.7",
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        acceptance = LogoKitAcceptance.objects.get()
        assert acceptance.user == people[Role.VIEWER] and acceptance.licence == licence
        assert acceptance.rules_sha256 == rules_sha256()
        assert acceptance.user_agent == "Test browser 1.0"
        assert acceptance.ip == "198.51.100.7"
        event = AuditEvent.objects.get(action="licence.logo_kit_downloaded")
        assert event.payload["rules_sha256"] == rules_sha256()

        page = f"https://alliance.example.com/register/{licence.number}/"
        kit = zipfile.ZipFile(io.BytesIO(response.content))
        assert page in kit.read("alrosa-alliance-logo/licence.txt").decode()
        rules = kit.read("alrosa-alliance-logo/usage-rules.txt").decode()
        assert licence.number in rules and page in rules and "rules of use" in rules
        pdf = pypdf.PdfReader(io.BytesIO(kit.read("alrosa-alliance-logo/alliance-logo.pdf")))
        printed = "".join(page.extract_text() for page in pdf.pages)
        assert licence.number in printed


@pytest.mark.django_db
def test_the_staff_queue_counts_the_uses_to_approve(licensee):
    _licence, member, people = licensee
    staff = UserFactory(staff=True)
    first = submit(member, people["signatory"])
    LogoUse.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=3))
    submit(member, people["signatory"], markets="Belgium")
    decided = submit(member, people["signatory"], markets="Japan")
    logo_uses.logo_use_approve(actor=staff, use=decided)
    (queue,) = [q for q in home_queues(staff, mine=False) if q.key == "logo_uses"]
    assert queue.count == 2
    assert queue.age_days == 3
    assert queue.oldest_url == reverse("admin:licensing_logouse_change", args=[first.pk])
    assert queue.url == reverse("admin:licensing_logouse_changelist") + "?status__exact=submitted"
    # Someone without the permission does not see the queue.
    limited = UserFactory(is_staff=True, groups=["no such group"])
    assert "logo_uses" not in [q.key for q in home_queues(limited, mine=False)]


@pytest.mark.django_db
def test_the_logo_page_costs_the_same_queries_with_more_uses(
    client, licensee, django_assert_max_num_queries
):
    _licence, member, people = licensee
    submit(member, people["signatory"])
    client.force_login(people["signatory"])
    url = reverse("licensing:logo", args=[member.pk])
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for markets in ("Belgium", "Japan", "Hong Kong", "Israel"):
        submit(member, people["signatory"], markets=markets)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
