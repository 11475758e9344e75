"""The demo fills every queue of the staff home, and each demo staff login sees it."""

from io import StringIO

import lxml.html
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from members.models import User
from tests.helpers import login_with_mfa
from workbench.selectors import home_queues

QUEUE_KEYS = [
    "applications",
    "key_people",
    "cycles_submitted",
    "cycles_overdue",
    "actions_submitted",
    "findings_overdue",
    "cases",
    "documents",
    "reports_new",
    "reports_overdue",
    "screening_hits",
    "logo_uses",
    "certificates",
    "outbox",
]


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.django_db
def test_the_demo_fills_every_queue_for_staff_and_decider(demo):
    for email in ("staff@example.com", "decider@example.com"):
        user = User.objects.get(email=email)
        queues = {q.key: q for q in home_queues(user, mine=False)}
        assert list(queues) == QUEUE_KEYS, email
        empty = [key for key, queue in queues.items() if queue.count == 0]
        assert empty == [], (email, empty)
    applications = {
        q.key: q for q in home_queues(User.objects.get(email="staff@example.com"), mine=True)
    }["applications"]
    (row,) = applications.rows
    assert str(row.application) == "Polar Rough Trading LLC"
    assert row.days == 24 and row.level == "amber"


@pytest.mark.django_db
def test_seed_demo_again_adds_nothing_to_the_queues(demo):
    staff = User.objects.get(email="staff@example.com")
    before = [(q.key, q.count) for q in home_queues(staff, mine=False)]
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO())
    assert [(q.key, q.count) for q in home_queues(staff, mine=False)] == before


@pytest.mark.django_db
def test_the_admin_index_leads_with_the_queues(demo, client):
    staff = User.objects.get(email="staff@example.com")
    TOTP.activate(staff, generate_totp_secret())
    login_with_mfa(client, staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    rows = page.xpath('//table[@id="work-queues"]/tbody/tr')
    assert [row.get("id") for row in rows] == [f"queue-{key}" for key in QUEUE_KEYS]
    counts = [int(row.xpath('string(td[@class="queue-count"])')) for row in rows]
    assert all(counts), counts
    ageing = page.xpath('//div[@id="applications-ageing"]//tbody/tr')[0]
    assert "Polar Rough Trading LLC" in ageing.text_content()
    assert "day 24" in ageing.text_content() and "ageing-amber" in ageing.get("class")
    # The app list is still there, below.
    assert page.xpath('//details[@class="workbench-apps"]//a[contains(@href, "/admin/members/")]')


@pytest.mark.django_db
def test_the_demo_names_owners_and_key_people(demo):
    from datetime import date
    from decimal import Decimal

    from members.models import Application, KeyPerson, Member

    polar = Application.objects.get(legal_name="Polar Rough Trading LLC")
    owner = polar.people.get(role="owner", ended_at__isnull=True)
    assert (owner.name, owner.name_latin) == ("Иван Петрович Сидоров", "Ivan Petrovich Sidorov")
    assert owner.date_of_birth == date(1971, 3, 14)
    assert (owner.nationality, owner.country_of_residence) == ("RU", "AE")
    assert owner.ownership_percent == Decimal("51")
    assert polar.people.filter(role="director", ended_at__isnull=True).exists()

    demo_member = Member.objects.get(legal_name="Demo Diamonds Ltd")
    current = demo_member.people.filter(ended_at__isnull=True)
    assert sorted(current.values_list("role", flat=True)) == ["owner", "owner", "signatory"]
    (pending,) = current.filter(review_status="pending")
    assert pending.replaces is not None  # a change waiting in the staff's queue

    northern = Member.objects.get(legal_name="Northern Lights Trading FZE")
    assert northern.no_owner_reason
    assert not northern.people.filter(role="owner").exists()
    assert KeyPerson.objects.filter(member=northern, role="director").exists()
