"""A member's 360° page: who may open it, what it shows, and what it costs."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_portal.audit import audit_record
from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import CertificateStatus, ComplianceCertificate, Finding
from members.models import Member
from tests.factories import UserFactory, cycle_for, decider, licence_in, member_with
from tests.helpers import login_with_mfa
from workbench import selectors_member


def page_url(member) -> str:
    return reverse("workbench:member", args=[member.pk])


def member_with_history(staff):
    """A member with a licence, a review with a finding, a case with a notice, a certificate."""
    licence = licence_in("active")
    member = licence.member
    cycle = cycle_for("in_review", licence=licence)
    services.finding_raise(
        actor=staff,
        cycle=cycle,
        criterion=cycle.answers.first().criterion,
        severity="major",
        description="No grievance mechanism for workers.",
        corrective_action="Set one up.",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    case = services.case_open(
        actor=staff, licence=licence, grounds="logo_misuse", narrative="Logo on scrap metal."
    )
    services.case_send_notice(actor=staff, case=case)
    today = timezone.localdate()
    ComplianceCertificate.objects.create(
        number=f"AAC-2026-{member.pk:04d}",
        verification_code=f"code-{member.pk}-" + "k" * 32,
        cycle=cycle,
        member=member,
        licence=licence,
        outcome="compliant",
        valid_from=today,
        valid_until=today + timedelta(days=365),
        status=CertificateStatus.PENDING,
    )
    return member


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


@pytest.mark.django_db
class TestAccess:
    def test_member_users_and_anonymous_people_are_sent_to_the_login(self, client, staff_user):
        member = member_with_history(staff_user)
        assert client.get(page_url(member)).status_code == 302
        _own, member_user = member_with()
        client.force_login(member_user)
        response = client.get(page_url(member))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_staff_without_the_member_permission_are_refused(self, client, staff_user):
        member = member_with_history(staff_user)
        outsider = UserFactory(staff=True)
        outsider.groups.clear()
        login_with_mfa(client, outsider)
        assert client.get(page_url(member)).status_code == 403
        outsider.user_permissions.add(Permission.objects.get(codename="view_member"))
        assert client.get(page_url(member)).status_code == 200

    def test_an_unknown_member_is_404_and_a_known_one_200(self, staff_client, staff_user):
        member = member_with_history(staff_user)
        missing = reverse("workbench:member", args=[member.pk + 1000])
        assert staff_client.get(missing).status_code == 404
        assert staff_client.get(page_url(member)).status_code == 200

    def test_each_part_needs_its_own_permission(self, client, staff_user):
        member = member_with_history(staff_user)
        reader = UserFactory(staff=True)
        reader.groups.clear()
        reader.user_permissions.add(Permission.objects.get(codename="view_member"))
        login_with_mfa(client, reader)
        html = client.get(page_url(member)).content.decode()
        assert member.legal_name in html
        assert 'id="member-findings"' not in html
        assert "No grievance mechanism" not in html
        assert 'id="member-timeline"' not in html
        reader.user_permissions.add(
            Permission.objects.get(codename="view_finding"),
            Permission.objects.get(codename="view_auditevent"),
        )
        html = client.get(page_url(member)).content.decode()
        assert 'id="member-findings"' in html and "No grievance mechanism" in html
        assert 'id="member-timeline"' in html and "finding.raised" in html


@pytest.mark.django_db
class TestContent:
    def test_shows_every_part_of_the_member_and_nothing_of_another(self, staff_client, staff_user):
        member = member_with_history(staff_user)
        other = member_with_history(staff_user)
        html = staff_client.get(page_url(member)).content.decode()
        licence = member.licences.get()
        assert licence.number in html
        assert "In review" in html  # the review cycle
        assert "No grievance mechanism" in html  # the finding
        assert "Misuse of the logo" in html  # the case
        assert f"AAC-2026-{member.pk:04d}" in html  # the certificate
        signatory = member.memberships.get().user
        assert signatory.email in html  # the team, and the notice e-mailed to them
        assert 'id="member-messages"' in html and "delivery-history" in html
        for action in ("finding.raised", "case.opened", "case.notice_sent"):
            assert action in html
        # Nothing of the other member: its licence, certificate or people.
        assert other.licences.get().number not in html
        assert f"AAC-2026-{other.pk:04d}" not in html
        assert other.memberships.get().user.email not in html

    def test_the_timeline_holds_only_this_members_events(self, staff_user):
        member = member_with_history(staff_user)
        other = member_with_history(staff_user)
        mine = selectors_member.member_audit_events(member)
        assert mine.filter(action="case.opened").count() == 1
        case_ids = {str(c.pk) for c in other.licences.get().cases.all()}
        assert not mine.filter(target_id__in=case_ids, target_type="compliance.forfeiturecase")
        assert mine.filter(target_type="licensing.licenceagreement").count() == 0
        licence = member.licences.get()
        audit_record(actor=staff_user, action="licence.noted", target=licence)
        assert mine.filter(action="licence.noted").count() == 1

    def test_the_timeline_is_paged_from_the_newest(self, staff_client, staff_user, monkeypatch):
        monkeypatch.setattr(selectors_member, "TIMELINE_PAGE", 3)
        member = member_with_history(staff_user)
        for number in range(5):
            audit_record(actor=staff_user, action=f"member.note_{number}", target=member)
        first = staff_client.get(page_url(member))
        events = first.context["timeline"].items
        assert [e.action for e in events] == ["member.note_4", "member.note_3", "member.note_2"]
        assert first.context["timeline"].more
        older = staff_client.get(page_url(member), {"before": events[-1].pk})
        assert [e.action for e in older.context["timeline"].items] == [
            "member.note_1",
            "member.note_0",
            "case.notice_sent",
        ]
        assert f"?before={events[-1].pk}" in first.content.decode()
        for bad in ("x", "-1", "9" * 40):
            assert staff_client.get(page_url(member), {"before": bad}).status_code == 404

    def test_linked_from_the_member_page_and_the_lists(self, staff_client, staff_user):
        member = member_with_history(staff_user)
        link = page_url(member)
        pages = [
            reverse("admin:members_member_change", args=[member.pk]),
            reverse("admin:members_member_changelist"),
            reverse("admin:compliance_finding_changelist"),
            reverse("admin:compliance_reviewcycle_changelist"),
            reverse("admin:compliance_forfeiturecase_changelist"),
            reverse("admin:compliance_compliancecertificate_changelist"),
            reverse("admin:licensing_licenceagreement_changelist"),
        ]
        for url in pages:
            assert link in staff_client.get(url).content.decode(), url

    def test_decision_makers_see_the_page_too(self, client, staff_user):
        member = member_with_history(staff_user)
        login_with_mfa(client, decider())
        html = client.get(page_url(member)).content.decode()
        assert "Misuse of the logo" in html


def _bulk_members(count: int) -> None:
    now = timezone.now()
    start = Member.objects.count()
    Member.objects.bulk_create(
        Member(
            legal_name=f"Bulk {start + n} Ltd",
            registration_number=f"BULK-{start + n}",
            country="BE",
            address="1 Street",
            kp_registration="KP",
            contract_reference="LTC",
            risk_rating="low",
            approved_at=now,
        )
        for n in range(count)
    )


def _queries(client, url) -> int:
    client.get(url)  # the first request warms what is cached per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_queries_do_not_grow_with_members_or_history(staff_client, staff_user):
    member = member_with_history(staff_user)
    _bulk_members(10 - Member.objects.count())
    assert Member.objects.count() == 10
    small = _queries(staff_client, page_url(member))

    _bulk_members(990)
    cycle = member.review_cycles.get()
    Finding.objects.bulk_create(
        Finding(
            cycle=cycle,
            severity="minor",
            description=f"Finding {n}",
            corrective_action="Fix it.",
            due_on=timezone.localdate(),
            raised_by=staff_user,
        )
        for n in range(selectors_member.SECTION_ROWS + 10)
    )
    for number in range(selectors_member.TIMELINE_PAGE + 10):
        audit_record(actor=staff_user, action="member.noted", target=member, payload={"n": number})
    assert Member.objects.count() == 1000
    large = _queries(staff_client, page_url(member))
    assert large == small
    response = staff_client.get(page_url(member))
    assert len(response.context["findings"].items) == selectors_member.SECTION_ROWS
    assert response.context["findings"].more and response.context["timeline"].more
    assert len(response.context["timeline"].items) == selectors_member.TIMELINE_PAGE
    assert AuditEvent.objects.count() > selectors_member.TIMELINE_PAGE
