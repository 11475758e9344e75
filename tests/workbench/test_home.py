"""The staff home: its queues, who sees which, "my work", and a query budget that does not
grow with the number of members."""

from datetime import timedelta

import lxml.html
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import Document, OutboxMessage
from compliance.models import (
    ComplianceCertificate,
    Finding,
    ForfeitureCase,
    ReviewCycle,
    Submission,
)
from licensing.models import AgreementTemplate, GuidelinesVersion, LicenceAgreement, LogoUse
from members.models import Application, KeyPerson, Member, User
from tests.factories import UserFactory, complete_application, decider
from tests.helpers import login_with_mfa
from trust.models import Report
from workbench.selectors import ApplicationsQueue, home_queues

pytestmark = pytest.mark.django_db


def _populate(n: int, staff) -> None:
    """``n`` members, each with something in every queue, made in bulk."""
    now, today = timezone.now(), timezone.localdate()
    start = Member.objects.count()
    members = Member.objects.bulk_create(
        Member(
            legal_name=f"Bulk {start + i} Ltd",
            registration_number=f"B-{start + i}",
            country="BE",
            address="1 Diamond Street",
            kp_registration=f"KP-B{start + i}",
            contract_reference=f"LTC-B{start + i}",
            risk_rating="medium",
            approved_at=now,
        )
        for i in range(n)
    )
    template, guidelines = AgreementTemplate.objects.get(version=1), GuidelinesVersion.objects.get()
    licences = LicenceAgreement.objects.bulk_create(
        LicenceAgreement(
            member=m,
            template=template,
            guidelines=guidelines,
            status="active",
            number=f"AA-2026-B{m.pk}",
            starts_on=today - timedelta(days=100),
            ends_on=today + timedelta(days=900),
        )
        for m in members
    )
    cycles = ReviewCycle.objects.bulk_create(
        ReviewCycle(
            member=lic.member,
            licence=lic,
            kind="periodic",
            status="submitted" if i % 2 else "open",
            due_on=today - timedelta(days=3),
            opened_by=staff,
        )
        for i, lic in enumerate(licences)
    )
    Submission.objects.bulk_create(
        Submission(
            cycle=c,
            round=1,
            signatory=staff,
            typed_name="x",
            statement="x",
            statement_sha256="0" * 64,
            answers=[],
            answers_sha256="0" * 64,
            submitted_at=now - timedelta(days=2),
        )
        for c in cycles
        if c.status == "submitted"
    )
    Finding.objects.bulk_create(
        Finding(
            cycle=c,
            severity="minor",
            description="d",
            corrective_action="a",
            due_on=today - timedelta(days=1),
            status="open" if i % 2 else "action_submitted",
            action_submitted_at=now,
            raised_by=staff,
        )
        for i, c in enumerate(cycles)
    )
    ForfeitureCase.objects.bulk_create(
        ForfeitureCase(licence=lic, grounds="logo_misuse", narrative="n", status="window_closed")
        for lic in licences
    )
    ComplianceCertificate.objects.bulk_create(
        ComplianceCertificate(
            number=f"P-{c.pk}",
            verification_code=f"code-{c.pk}",
            cycle=c,
            member_id=c.member_id,
            licence_id=c.licence_id,
            outcome="compliant",
            valid_from=today,
            valid_until=today + timedelta(days=300),
        )
        for c in cycles
    )
    applicant = User.objects.create_user(email=f"bulk{start}@example.org")
    Application.objects.bulk_create(
        Application(
            applicant=applicant,
            legal_name=f"Applicant {start + i}",
            status="under_review",
            submitted_at=now - timedelta(days=i % 40),
            review_started_by=staff,
        )
        for i in range(n)
    )
    # Each member recorded a new owner, waiting for review.
    KeyPerson.objects.bulk_create(
        KeyPerson(member=m, role="owner", name=f"Owner {m.pk}", ownership_percent=50)
        for m in members
    )
    Report.objects.bulk_create(
        Report(
            reference=f"R-B-{start + i}",
            category="logo_rules",
            member=m,
            description="d",
            token_sha256=f"{start + i:064d}",
            acknowledge_due_on=today - timedelta(days=1),
            conclude_due_on=today + timedelta(days=50),
        )
        for i, m in enumerate(members)
    )
    artwork = Document.objects.create(
        original_name="art.png",
        extension="png",
        content_type="image/png",
        size=1,
        sha256="0" * 64,
        storage_name=f"documents/art-{start}.png",
        scan_status="clean",
    )
    LogoUse.objects.bulk_create(
        LogoUse(
            member=lic.member,
            licence=lic,
            submitted_by=staff,
            artwork=artwork,
            medium="website",
            markets="Worldwide",
            starts_on=today,
            ends_on=today + timedelta(days=30),
            description="d",
            submitted_at=now - timedelta(days=1),
        )
        for lic in licences
    )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind="email",
            status="failed",
            recipient=f"r{start + i}@example.org",
            failed_at=now,
            give_up_at=now,
            member_ref=m.pk,
        )
        for i, m in enumerate(members)
    )


def _home_queries(client) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return len(queries), response.content


def test_the_home_costs_the_same_queries_at_10_and_1000_members(client):
    staff = decider()
    login_with_mfa(client, staff)
    _home_queries(client)  # the first request of a session loads its caches
    _populate(10, staff)
    at_10, page = _home_queries(client)
    _populate(990, staff)
    assert Member.objects.count() == 1000
    at_1000, page = _home_queries(client)
    assert at_10 == at_1000, (at_10, at_1000)
    assert at_1000 <= 21, at_1000  # one query per queue (two each: 32)
    counts = lxml.html.fromstring(page).xpath('//td[@class="queue-count"]/text()')
    # 1000 applications, 1000 key people changes, 500 submitted and 500 overdue cycles, 500
    # actions, 500 findings overdue, 1000 cases the decider did not open, no documents expiring
    # (their queue is tested in tests/compliance/test_validity.py), 1000 reports to acknowledge
    # (all overdue), no screening hits, 1000 logo uses to approve, 1000 pending certificates,
    # 1000 failures.
    assert counts == [
        "1000", "1000", "500", "500", "500", "500", "1000", "0", "1000", "1000", "0", "1000",
        "1000", "1000",
    ]  # fmt: skip


def test_only_staff_see_the_home(client):
    member_user = UserFactory()
    login_with_mfa(client, member_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    staff = UserFactory(staff=True)
    login_with_mfa(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_queue_shows_only_to_staff_who_may_see_its_list(client):
    staff = UserFactory(staff=True, groups=["Customer policy staff"])
    assert "outbox" in [q.key for q in home_queues(staff, mine=False)]
    limited = UserFactory(staff=True)
    limited.groups.clear()
    limited.user_permissions.add(Permission.objects.get(codename="view_application"))
    assert [q.key for q in home_queues(limited, mine=False)] == ["applications"]
    login_with_mfa(client, limited)
    page = lxml.html.fromstring(client.get(reverse("admin:index")).content)
    assert page.xpath('//table[@id="work-queues"]/tbody/tr/@id') == ["queue-applications"]


def test_my_work_is_what_i_took_under_review(client):
    me, colleague = UserFactory(staff=True), UserFactory(staff=True)
    mine = complete_application(status="under_review", legal_name="Mine Ltd")
    theirs = complete_application(status="under_review", legal_name="Theirs Ltd")
    Application.objects.filter(pk=mine.pk).update(review_started_by=me)
    Application.objects.filter(pk=theirs.pk).update(review_started_by=colleague)

    def names(view: bool) -> list[str]:
        (queue,) = [q for q in home_queues(me, mine=view) if q.key == "applications"]
        assert isinstance(queue, ApplicationsQueue)
        return [str(row.application) for row in queue.rows]

    assert names(False) == ["Mine Ltd", "Theirs Ltd"]
    assert names(True) == ["Mine Ltd"]
    login_with_mfa(client, me)
    page = client.get(reverse("admin:index"), {"view": "mine"}).content.decode()
    assert "Mine Ltd" in page and "Theirs Ltd" not in page
    # The queue's link opens the changelist filtered the same way, and it holds the row.
    (link,) = lxml.html.fromstring(page).xpath('//tr[@id="queue-applications"]/th/a/@href')
    listed = client.get(link).content.decode()
    assert "Mine Ltd" in listed and "Theirs Ltd" not in listed


def test_a_decider_never_sees_their_own_case_to_decide():
    from tests.factories import licence_in

    me, opener = decider(), UserFactory(staff=True)
    own = ForfeitureCase.objects.create(
        licence=licence_in("active"),
        grounds="logo_misuse",
        narrative="n",
        status="window_closed",
        opened_by=me,
    )
    other = ForfeitureCase.objects.create(
        licence=licence_in("active"),
        grounds="logo_misuse",
        narrative="n",
        status="response_received",
        opened_by=opener,
    )
    (queue,) = [q for q in home_queues(me, mine=False) if q.key == "cases"]
    assert queue.count == 1 and queue.oldest_url.endswith(f"/{other.pk}/change/")
    # A staff member who may not decide sees every case waiting for a decision.
    (queue,) = [q for q in home_queues(opener, mine=False) if q.key == "cases"]
    assert queue.count == 2
    (queue,) = [q for q in home_queues(opener, mine=True) if q.key == "cases"]
    assert queue.count == 1 and str(own.pk) not in queue.oldest_url


@pytest.mark.parametrize(
    ("days", "extended_by", "level"),
    [
        (19, None, "ok"),
        (20, None, "amber"),
        (30, None, "amber"),
        (31, None, "red"),
        (31, 60, "ok"),
        (31, 40, "amber"),
        (52, 60, "amber"),
        (61, 60, "red"),
    ],
)
def test_ageing_against_the_target_and_its_extension(days, extended_by, level):
    staff = UserFactory(staff=True)
    application = complete_application(status="under_review")
    submitted = timezone.now() - timedelta(days=days)
    extended = timezone.localdate(submitted) + timedelta(days=extended_by) if extended_by else None
    Application.objects.filter(pk=application.pk).update(
        submitted_at=submitted, review_extended_until=extended
    )
    (queue,) = [q for q in home_queues(staff, mine=False) if q.key == "applications"]
    assert isinstance(queue, ApplicationsQueue)
    (row,) = queue.rows
    assert (row.days, row.level) == (days, level)
    # The aggregate counts agree with the row's colour.
    assert (queue.amber, queue.red) == (int(level == "amber"), int(level == "red"))


def test_the_home_builds_the_list_of_apps_once(client, monkeypatch):
    """The index lists the apps and its navigation shows them again: one build per request."""
    from workbench import admin as workbench_admin

    builds = []
    stock = workbench_admin._stock_app_list

    def counted(request, app_label=None):
        builds.append(app_label)
        return stock(request, app_label)

    monkeypatch.setattr(workbench_admin, "_stock_app_list", counted)
    login_with_mfa(client, decider())
    page = client.get(reverse("admin:index"))
    assert builds == [None]
    # Both places still list the apps the person may see.
    assert page.content.decode().count(reverse("admin:compliance_reviewcycle_changelist")) >= 2
    client.get(reverse("admin:index"))
    assert builds == [None, None]  # per request, not kept across requests
