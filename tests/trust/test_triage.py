"""Staff triage: the report's states, findings and cases from reports, e-mails to the reporter,
the reporter's identity and the one appeal."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import OutboxMessage
from alliance_portal.outbox import relay_pending
from alliance_portal.states import IllegalTransition
from compliance import services as compliance
from compliance.models import Finding, ForfeitureCase
from tests.factories import UserFactory, auditor, cycle_for, decider, signatory_of
from tests.files import png_bytes
from tests.helpers import login_with_mfa
from tests.smtp_sink import SmtpSink, smtp_settings
from trust import services
from trust.models import REPORT_TRANSITIONS, Report, ReportStatus
from trust.permissions import can_see_reporter_identity, can_triage_reports
from trust.services import working_days_after

from .helpers import listed_member

R = ReportStatus
REPORTER = "witness@example.net"
REPORTER_IP = "203.0.113.77"


def new_report(member=None, email=REPORTER, files=()):
    report, token = services.report_submit(
        category="logo_rules",
        description="Logo on a shop window.",
        member=member,
        reporter_email=email,
        reporter_ip=REPORTER_IP,
        files=files,
    )
    return report, token


def report_in(status, member=None, **fields):
    report, _token = new_report(member=member)
    Report.objects.filter(pk=report.pk).update(status=status, **fields)
    report.refresh_from_db()
    return report


def test_working_days_skip_weekends():
    from datetime import date

    friday = date(2026, 11, 27)
    assert working_days_after(friday, 1) == date(2026, 11, 30)  # Monday
    assert working_days_after(friday, 5) == date(2026, 12, 4)
    assert working_days_after(date(2026, 11, 28), 5) == date(2026, 12, 4)  # from a Saturday


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [R.NEW, R.ACKNOWLEDGED, R.UNDER_REVIEW, R.DISMISSED, R.CONCLUDED]
)
@pytest.mark.parametrize("action", list(REPORT_TRANSITIONS))
def test_report_transitions_from_every_state(action, status, staff_user):
    member, licence = listed_member()
    cycle_for("accepted", licence=licence)
    report = report_in(status, member=member)
    due = timezone.localdate() + timedelta(days=30)
    calls = {
        "acknowledge": lambda: services.report_acknowledge(actor=staff_user, report=report),
        "start_review": lambda: services.report_start_review(actor=staff_user, report=report),
        "dismiss": lambda: services.report_dismiss(
            actor=staff_user, report=report, reason="No evidence.", public_outcome="Not upheld."
        ),
        "raise_finding": lambda: services.report_raise_finding(
            actor=staff_user,
            report=report,
            severity="minor",
            description="Logo used on packaging not approved.",
            corrective_action="Withdraw the packaging.",
            due_on=due,
        ),
        "open_case": lambda: services.report_open_case(
            actor=staff_user, report=report, grounds="logo_misuse", narrative="Logo misused."
        ),
        "conclude": lambda: services.report_conclude(
            actor=staff_user, report=report, public_outcome="Resolved."
        ),
        "appeal": lambda: services.report_appeal(report=report, text="I disagree."),
    }
    transition = REPORT_TRANSITIONS[action]
    findings, cases = Finding.objects.count(), ForfeitureCase.objects.count()
    if status in transition.sources:
        calls[action]()
        report.refresh_from_db()
        assert report.status == transition.target
    else:
        with pytest.raises(IllegalTransition):
            calls[action]()
        report.refresh_from_db()
        assert report.status == status
        # Refused before anything was written in compliance.
        assert (Finding.objects.count(), ForfeitureCase.objects.count()) == (findings, cases)


@pytest.mark.django_db
class TestOutcomes:
    def test_a_finding_from_a_report_is_linked_and_carries_nothing_of_the_reporter(
        self, staff_user, client
    ):
        member, licence = listed_member()
        cycle = cycle_for("accepted", licence=licence)
        report = report_in(R.UNDER_REVIEW, member=member)
        services.report_raise_finding(
            actor=staff_user,
            report=report,
            severity="major",
            description="The logo appears on polished goods sold as certified.",
            corrective_action="Remove the logo from the goods.",
            due_on=timezone.localdate() + timedelta(days=30),
        )
        report.refresh_from_db()
        finding = report.finding
        assert report.status == R.FINDING_RAISED and finding.cycle == cycle
        client.force_login(signatory_of(member))
        html = client.get(reverse("compliance:finding_detail", args=[finding.pk])).content.decode()
        assert "polished goods sold as certified" in html
        for secret in (REPORTER, REPORTER_IP, report.reference, "shop window"):
            assert secret not in html
        assert REPORTER not in str(Finding.objects.filter(pk=finding.pk).values().get())

    def test_a_case_from_a_report_carries_nothing_of_the_reporter(self, staff_user, client):
        member, _licence = listed_member()
        report = report_in(R.ACKNOWLEDGED, member=member)
        services.report_open_case(
            actor=staff_user,
            report=report,
            grounds="logo_misuse",
            narrative="The logo was used on goods not covered by the licence.",
        )
        report.refresh_from_db()
        case = report.case
        assert report.status == R.CASE_OPENED and case.grounds == "logo_misuse"
        assert case.opened_by == staff_user
        compliance.case_send_notice(actor=staff_user, case=case)  # the member learns of it now
        client.force_login(signatory_of(member))
        html = client.get(reverse("compliance:case_detail", args=[case.pk])).content.decode()
        assert "goods not covered by the licence" in html
        for secret in (REPORTER, REPORTER_IP, report.reference):
            assert secret not in html

    def test_a_case_only_on_logo_misuse_or_non_compliance(self, staff_user):
        member, _licence = listed_member()
        report = report_in(R.UNDER_REVIEW, member=member)
        with pytest.raises(ValidationError, match="logo misuse or non-compliance"):
            services.report_open_case(
                actor=staff_user, report=report, grounds="failure_to_attest", narrative="x"
            )
        services.report_open_case(
            actor=staff_user, report=report, grounds="non_compliance", narrative="Practices."
        )

    def test_without_a_member_in_force_no_finding_or_case(self, staff_user):
        report = report_in(R.UNDER_REVIEW)
        with pytest.raises(ValidationError, match="Name the member"):
            services.report_open_case(
                actor=staff_user, report=report, grounds="logo_misuse", narrative="x"
            )
        member, _licence = listed_member()
        services.report_open_case(
            actor=staff_user, report=report, grounds="logo_misuse", narrative="x", member=member
        )
        report.refresh_from_db()
        assert report.member == member

    def test_a_finding_needs_a_review_cycle(self, staff_user):
        member, _licence = listed_member()
        report = report_in(R.UNDER_REVIEW, member=member)
        with pytest.raises(ValidationError, match="no review cycle"):
            services.report_raise_finding(
                actor=staff_user,
                report=report,
                severity="minor",
                description="d",
                corrective_action="c",
                due_on=timezone.localdate() + timedelta(days=5),
            )
        assert Report.objects.get(pk=report.pk).status == R.UNDER_REVIEW

    def test_dismissal_needs_a_reason_and_an_outcome(self, staff_user):
        report = report_in(R.ACKNOWLEDGED)
        with pytest.raises(ValidationError):
            services.report_dismiss(actor=staff_user, report=report, reason=" ", public_outcome="x")
        with pytest.raises(ValidationError):
            services.report_dismiss(actor=staff_user, report=report, reason="x", public_outcome="")
        services.report_dismiss(
            actor=staff_user, report=report, reason="Duplicate of R-1.", public_outcome="Closed."
        )
        report.refresh_from_db()
        assert report.dismissal_reason == "Duplicate of R-1." and report.concluded_at


@pytest.mark.django_db
class TestWhoMayTriage:
    def test_members_auditors_and_plain_users_may_not(self):
        member, _licence = listed_member()
        report = report_in(R.NEW)
        staff_without_group = UserFactory(staff=True)
        staff_without_group.groups.clear()
        staff_without_group = type(staff_without_group).objects.get(pk=staff_without_group.pk)
        for person in (signatory_of(member), UserFactory(), auditor(), staff_without_group):
            assert not can_triage_reports(person)
            with pytest.raises(PermissionDenied):
                services.report_acknowledge(actor=person, report=report)
        assert can_triage_reports(UserFactory(staff=True))

    def test_the_identity_permission_is_for_decision_makers(self):
        assert not can_see_reporter_identity(UserFactory(staff=True))
        assert not can_see_reporter_identity(None)
        assert can_see_reporter_identity(decider())
        inactive = decider()
        inactive.is_active = False
        assert not can_see_reporter_identity(inactive)


@pytest.mark.django_db
class TestAppeal:
    def test_one_appeal_through_the_status_link(self, client, staff_user):
        report, token = new_report()
        services.report_acknowledge(actor=staff_user, report=report)
        services.report_dismiss(
            actor=staff_user, report=report, reason="No evidence.", public_outcome="Not upheld."
        )
        url = reverse("trust:report_status", args=[token])
        page = client.get(url).content.decode()
        assert "Not upheld." in page and 'id="appeal-form"' in page
        response = client.post(url, {"text": "Here is a second photo."})
        assert response.status_code == 302
        report.refresh_from_db()
        assert report.status == R.UNDER_REVIEW and report.appeal_text == "Here is a second photo."
        services.report_conclude(actor=staff_user, report=report, public_outcome="Upheld now.")
        page = client.get(url).content.decode()
        assert 'id="appeal-form"' not in page
        assert client.post(url, {"text": "Again."}).status_code == 400
        report.refresh_from_db()
        assert report.status == R.CONCLUDED and report.appeal_text == "Here is a second photo."

    def test_no_appeal_before_the_outcome(self, client):
        _report, token = new_report()
        url = reverse("trust:report_status", args=[token])
        assert 'id="appeal-form"' not in client.get(url).content.decode()
        assert client.post(url, {"text": "Too early."}).status_code == 400
        assert Report.objects.get().appealed_at is None


@pytest.mark.django_db
class TestEmails:
    def test_acknowledgement_and_conclusion_reach_the_reporter_at_the_smtp_server(
        self, settings, staff_user
    ):
        with SmtpSink() as sink:
            smtp_settings(settings, sink)
            report, _token = new_report()
            silent, _ = new_report(email="")
            relay_pending()
            assert sink.received == []  # nothing on receipt
            services.report_acknowledge(actor=staff_user, report=report)
            services.report_acknowledge(actor=staff_user, report=silent)
            relay_pending()
            sink.wait_for(1)
            services.report_start_review(actor=staff_user, report=report)
            services.report_conclude(
                actor=staff_user, report=report, public_outcome="The shop removed the logo."
            )
            relay_pending()
            sink.wait_for(2)
        (acknowledged, concluded) = sink.to(REPORTER)
        assert report.reference in acknowledged["Subject"]
        assert "acknowledged" in acknowledged.get_payload()[0].get_payload(decode=True).decode()
        body = concluded.get_payload()[0].get_payload(decode=True).decode()
        assert "The shop removed the logo." in body
        assert len(sink.received) == 2  # the report without an address sends nothing
        assert OutboxMessage.objects.filter(target_id=str(silent.pk)).count() == 0


@pytest.mark.django_db
class TestAdmin:
    def admin_client(self, client, user):
        login_with_mfa(client, user)
        return client

    def test_the_reporters_identity_only_with_the_permission(self, client):
        report, _token = new_report()
        services.report_acknowledge(actor=UserFactory(staff=True), report=report)  # an e-mail
        url = reverse("admin:trust_report_change", args=[report.pk])
        staff = self.admin_client(client, UserFactory(staff=True))
        html = staff.get(url).content.decode()
        assert report.reference in html
        assert REPORTER not in html and REPORTER_IP not in html
        listing = staff.get(reverse("admin:trust_report_changelist"), {"q": REPORTER})
        assert report.reference not in listing.content.decode()  # no search by e-mail either
        client.logout()
        html = self.admin_client(client, decider()).get(url).content.decode()
        assert REPORTER in html and REPORTER_IP in html

    def test_staff_acknowledge_and_open_a_case_from_the_admin(self, client):
        member, _licence = listed_member()
        report, _token = new_report(member=member)
        staff = self.admin_client(client, UserFactory(staff=True))
        act = "admin:trust_report_act"
        assert staff.post(reverse(act, args=[report.pk, "acknowledge"])).status_code == 302
        response = staff.post(
            reverse(act, args=[report.pk, "open_case"]),
            {"grounds": "logo_misuse", "narrative": "Logo on unlicensed goods.", "member": ""},
        )
        assert response.status_code == 302
        report.refresh_from_db()
        assert report.status == R.CASE_OPENED and report.case.grounds == "logo_misuse"

    def test_the_evidence_is_downloaded_by_staff_only(self, client):
        photo = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
        report, _token = new_report(files=[photo])
        evidence = report.evidence.get()
        url = reverse("admin:trust_report_document", args=[report.pk, evidence.document_id])
        member, _licence = listed_member()
        client.force_login(signatory_of(member))
        assert client.get(url).status_code == 302  # to the admin's login
        client.logout()
        assert self.admin_client(client, UserFactory(staff=True)).get(url).status_code == 200
