"""The member dashboard's body is cached per user and never stale: every write that changes
what it shows, through a service, a periodic job's bulk path or the admin, forgets it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import Finding, ForfeitureCase, ReviewCycle
from compliance.services import jobs
from licensing import services as licensing_services
from licensing.models import LicenceAgreement
from members import services as members_services
from members.models import Member, Membership, Role
from tests.factories import UserFactory, cycle_for, licence_in, member_with, signatory_of

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return str(response.content.decode())


def section(html: str, section_id: str) -> str:
    """The text of one ``<section id=...>`` of the page ('' when it is not shown)."""
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    return str(found.group(0)) if found else ""


def test_the_body_is_cached_until_a_change_forgets_it(client):
    member, user = member_with(full_name="Anna Peeters")
    assert "Anna Peeters" in page(client, user)
    # Written behind every service's back (no signal, no announcement): the cached body stays.
    Member.objects.filter(pk=member.pk).update(legal_name="Renamed Behind The Back Ltd")
    assert "Renamed Behind The Back" not in page(client, user)
    # The same through a model save (a service or the admin): forgotten.
    member.legal_name = "Renamed Properly Ltd"
    member.save()
    assert "Renamed Properly Ltd" in page(client, user)


@pytest.mark.parametrize("rows", [3, 30])
def test_a_cached_dashboard_costs_few_queries_whatever_it_shows(
    client, rows, staff_user, django_assert_max_num_queries
):
    licence = licence_in("active")
    user = signatory_of(licence.member)
    cycle = cycle_for("open", licence=licence)
    for n in range(rows):
        Finding.objects.create(
            cycle=cycle,
            severity="minor",
            description=f"Gap {n}",
            corrective_action="Fix",
            due_on=TODAY() + timedelta(days=30),
            raised_by=staff_user,
        )
    assert section(page(client, user), "findings").count("Gap ") == rows
    # The session, the user, and the navigation's auditor check and unread count: the body
    # and the list of the user's companies (for its key) come from the cache.
    with django_assert_max_num_queries(4):
        html = client.get(reverse("dashboard")).content.decode()
    assert section(html, "findings").count("Gap ") == rows


def test_each_user_sees_their_own_companies_only(client):
    first = licence_in("active", member=member_with()[0])
    second = licence_in("active", member=member_with()[0])
    first_user, second_user = signatory_of(first.member), signatory_of(second.member)
    for _ in range(2):  # rendered, then cached: the same either way
        mine, theirs = page(client, first_user), page(client, second_user)
        assert first.number in mine and first.member.legal_name in mine
        assert second.number not in mine and second.member.legal_name not in mine
        assert second.number in theirs and first.number not in theirs
    # Two people of the same company: the same companies, but each their own name.
    colleague = UserFactory(full_name="Colleague Name")
    Membership.objects.create(member=first.member, user=colleague, role=Role.VIEWER)
    assert "Colleague Name" in page(client, colleague)
    assert "Colleague Name" not in page(client, first_user)


def test_the_cached_page_posts_with_this_requests_csrf_token():
    user = UserFactory()
    earlier = Client(enforce_csrf_checks=True)
    earlier.force_login(user)
    earlier.get(reverse("dashboard"))
    # Signed in elsewhere (another session, another CSRF secret): the page from the cache.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html = browser.get(reverse("dashboard")).content.decode()
    form = re.search(r'<form[^>]*id="application-start".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert "<!--" not in token
    response = browser.post(
        reverse("portal:application_start"),
        {"csrfmiddlewaretoken": token, "personal_data_consent": "on"},
    )
    assert response.status_code == 302 and "/edit" in response["Location"]
    # And the consent now in force is no longer asked for.
    assert 'name="personal_data_consent"' not in browser.get(reverse("dashboard")).content.decode()


def test_memberships_and_roles(client):
    member, signatory = member_with()
    other, _ = member_with()
    viewer = UserFactory()
    Membership.objects.create(member=member, user=viewer, role=Role.VIEWER)
    html = page(client, viewer)
    assert 'id="calendar-link"' not in html and "Viewer" in html
    membership = Membership.objects.get(user=viewer)
    members_services.membership_change_role(
        actor=signatory, membership=membership, role=Role.COMPLIANCE_OFFICER
    )
    html = page(client, viewer)
    assert 'id="calendar-link"' in html and "Compliance officer" in html
    members_services.membership_remove(actor=signatory, membership=membership)
    assert member.legal_name not in page(client, viewer)
    assert other.legal_name not in page(client, viewer)


def test_the_users_name_and_staff_flag(client):
    user = UserFactory(full_name="Old Name")
    assert "Old Name" in page(client, user)
    user.full_name = "New Name"
    user.save()
    assert "New Name" in page(client, user)
    user.is_staff = True
    user.save()
    assert reverse("admin:index") in page(client, user)


def test_applications(client):
    user = UserFactory()
    assert "No applications yet" in page(client, user)
    application = members_services.application_create(actor=user)
    html = section(page(client, user), "applications")
    assert reverse("portal:application_detail", args=[application.pk]) in html


def test_personal_data_consent(client):
    user = UserFactory()
    assert 'name="personal_data_consent"' in page(client, user)
    members_services.consent_give(actor=user)
    assert 'name="personal_data_consent"' not in page(client, user)


def test_licences_expired_by_the_job(client):
    licence = licence_in("active", ends_on=TODAY() - timedelta(days=1))
    user = signatory_of(licence.member)
    assert "Active" in section(page(client, user), "licences")
    assert licensing_services.licences_expire_due() == 1
    assert LicenceAgreement.objects.get(pk=licence.pk).status == "expired"
    assert "Expired" in section(page(client, user), "licences")


def test_review_cycles_opened_by_the_job(client):
    licence = licence_in("active")  # never reviewed: its first review falls due now
    user = signatory_of(licence.member)
    assert section(page(client, user), "cycles") == ""
    assert jobs.cycles_open_due() == 1
    cycle = ReviewCycle.objects.get(member=licence.member)
    assert reverse("compliance:cycle_detail", args=[cycle.pk]) in page(client, user)


def test_findings_raised_then_escalated_by_the_job(client, staff_user):
    cycle = cycle_for("accepted", licence=licence_in("active"))
    user = signatory_of(cycle.member)
    assert section(page(client, user), "findings") == ""
    finding = services.finding_raise(
        actor=staff_user,
        cycle=cycle,
        severity="minor",
        description="Policy out of date",
        corrective_action="Update it",
        due_on=TODAY() + timedelta(days=30),
    )
    assert "Policy out of date" in section(page(client, user), "findings")
    Finding.objects.filter(pk=finding.pk).update(due_on=TODAY() - timedelta(days=60))
    assert jobs.overdue_escalate() == 1
    assert section(page(client, user), "findings") == ""


def test_cases_shown_with_their_notice(client, staff_user):
    licence = licence_in("active")
    user = signatory_of(licence.member)
    case = services.case_open(
        actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Logo misused"
    )
    assert section(page(client, user), "cases") == ""  # not before its notice
    services.case_send_notice(actor=staff_user, case=case)
    assert ForfeitureCase.objects.get(pk=case.pk).status == "notice_sent"
    html = section(page(client, user), "cases")
    assert reverse("compliance:case_detail", args=[case.pk]) in html


def test_documents_rejected_by_staff(client, staff_user):
    from tests.compliance.test_validity import held

    member, user = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=400))
    assert section(page(client, user), "documents-to-update") == ""
    services.document_reject(actor=staff_user, document=link.document, reason="Blurred")
    assert link.document.original_name in section(page(client, user), "documents-to-update")


def test_the_language_is_part_of_the_key(client):
    user = UserFactory()
    assert '<h1 class="h3 mb-3">Dashboard</h1>' in page(client, user)
    client.cookies["django_language"] = "ru"
    assert '<h1 class="h3 mb-3">Личный кабинет</h1>' in page(client, user)


def test_texts_every_dashboard_shows(client, staff_user):
    from members.models import DocumentRequirement
    from tests.compliance.test_validity import held

    member, user = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=5))
    assert "renamed" not in section(page(client, user), "documents-to-update")
    requirement = DocumentRequirement.objects.get(pk=link.requirement_id)
    requirement.title_en = "Kimberley Process registration, renamed"
    requirement.save()
    assert "Kimberley Process registration, renamed" in section(
        page(client, user), "documents-to-update"
    )


def test_evidence_carried_forward(client, staff_user):
    from compliance.models import Answer
    from tests.editions import accepted_with_evidence

    licence = licence_in("active")
    soon = {"1.1": {"soon.pdf": TODAY() + timedelta(days=10)}}
    past = accepted_with_evidence(staff_user, licence, soon)
    current = services.cycle_open(actor=staff_user, member=licence.member, kind="periodic")
    user = signatory_of(licence.member)
    listed = section(page(client, user), "documents-to-update")
    assert "soon.pdf" in listed
    assert reverse("compliance:cycle_detail", args=[past.pk]) in listed
    criterion = Answer.objects.get(cycle=current, criterion__code="1.1").criterion
    services.answer_carry_forward(actor=user, cycle=current, criterion=criterion)
    listed = section(page(client, user), "documents-to-update")
    assert reverse("compliance:cycle_detail", args=[current.pk]) in listed
