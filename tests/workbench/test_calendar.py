"""The calendar of due dates and the personal ICS feed behind a revocable token."""

import re
from datetime import date, timedelta
from io import StringIO
from typing import Any

import icalendar
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance.models import ComplianceCertificate, Finding, ReviewCycle
from members.models import Member, User
from tests.factories import UserFactory, cycle_for
from tests.helpers import login_with_mfa
from workbench import services
from workbench.models import CalendarToken

pytestmark = pytest.mark.django_db


def _events(content: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def _start(event: Any) -> date:
    day: date = event.decoded("dtstart")
    return day


def _feed_path(raw: str) -> str:
    return reverse("workbench:calendar_feed", args=[raw])


def test_the_feed_holds_the_demo_due_dates_and_dies_with_its_revocation(
    client, django_capture_on_commit_callbacks
):
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    staff = User.objects.get(email="staff@example.com")
    _token, raw = services.calendar_token_create(actor=staff)
    assert len(raw) >= 43  # 32 random bytes, URL-safe: 256 bits

    response = client.get(_feed_path(raw))  # no session: the token is the credential
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    demo = Member.objects.get(legal_name="Demo Diamonds Ltd")
    cycle = ReviewCycle.objects.get(member=demo, status="open")
    finding = Finding.objects.get(criterion__code="2.4")
    licence = demo.licences.get()
    certificate = ComplianceCertificate.objects.get(member=demo, status="issued")
    expected = {
        f"cycle-{cycle.pk}@": cycle.due_on,
        f"finding-{finding.pk}@": finding.due_on,
        f"licence-end-{licence.pk}@": licence.ends_on,
        f"certificate-end-{certificate.pk}@": certificate.valid_until,
    }
    for prefix, day in expected.items():
        (event,) = [e for uid, e in events.items() if uid.startswith(prefix)]
        assert _start(event) == day, prefix
    assert "Demo Diamonds Ltd" in str(
        events[next(u for u in events if u.startswith("cycle-"))]["summary"]
    )
    # UIDs are stable from one fetch to the next.
    assert set(_events(client.get(_feed_path(raw)).content)) == set(events)

    services.calendar_token_revoke(actor=staff)
    assert client.get(_feed_path(raw)).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_token.revoked", actor=staff).exists()


def test_unknown_tokens_and_tokens_of_former_staff_are_not_found(client):
    assert client.get(_feed_path("not-a-token")).status_code == 404
    staff = UserFactory(staff=True)
    _token, raw = services.calendar_token_create(actor=staff)
    assert client.get(_feed_path(raw)).status_code == 200
    User.objects.filter(pk=staff.pk).update(is_staff=False)
    assert client.get(_feed_path(raw)).status_code == 404


def test_a_new_token_replaces_the_live_one():
    staff = UserFactory(staff=True)
    first, raw_first = services.calendar_token_create(actor=staff)
    second, raw_second = services.calendar_token_create(actor=staff)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert raw_first != raw_second
    assert CalendarToken.objects.filter(user=staff, revoked_at__isnull=True).count() == 1
    # Only the hash is kept.
    assert raw_second not in second.token_hash and len(second.token_hash) == 64


def test_members_have_no_feed():
    with pytest.raises(Exception, match="staff"):
        services.calendar_token_create(actor=UserFactory())
    assert not CalendarToken.objects.exists()


def test_the_calendar_page_is_for_staff_and_makes_the_feed_address_once(client):
    cycle = cycle_for("open")
    login_with_mfa(client, UserFactory())
    response = client.get(reverse("workbench:calendar"))
    assert response.status_code == 302 and "/login/" in response["Location"]

    staff = UserFactory(staff=True)
    login_with_mfa(client, staff)
    page = client.get(reverse("workbench:calendar")).content.decode()
    assert str(cycle.member) in page
    assert reverse("admin:compliance_reviewcycle_change", args=[cycle.pk]) in page

    created = client.post(reverse("workbench:calendar_token_create"))
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    (url,) = re.findall(r'value="(http[^"]+\.ics)"', created.content.decode())
    assert AuditEvent.objects.filter(action="calendar_token.created", actor=staff).exists()
    client.logout()
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    # The address is not shown again.
    login_with_mfa(client, staff)
    assert url not in client.get(reverse("workbench:calendar")).content.decode()
    revoked = client.post(reverse("workbench:calendar_token_revoke"))
    assert revoked.status_code == 302
    client.logout()
    assert client.get("/" + path).status_code == 404


def test_the_calendar_lists_only_kinds_the_user_may_see(client):
    cycle_for("open")
    finding_cycle = cycle_for("accepted")
    Finding.objects.create(
        cycle=finding_cycle,
        severity="minor",
        description="d",
        corrective_action="a",
        due_on=timezone.localdate() + timedelta(days=5),
        raised_by=UserFactory(staff=True),
    )
    from django.contrib.auth.models import Permission

    limited = UserFactory(staff=True)
    limited.groups.clear()
    limited.user_permissions.add(Permission.objects.get(codename="view_finding"))
    login_with_mfa(client, limited)
    page = client.get(reverse("workbench:calendar"))
    kinds = {d.kind for d in page.context["dates"]}
    assert kinds == {"finding"}


def test_the_weeks_parameter_is_bounded(client):
    login_with_mfa(client, UserFactory(staff=True))
    assert client.get(reverse("workbench:calendar"), {"weeks": "x"}).context["weeks"] == 8
    assert client.get(reverse("workbench:calendar"), {"weeks": "9999"}).context["weeks"] == 52
    assert client.get(reverse("workbench:calendar"), {"weeks": "-3"}).context["weeks"] == 1


def test_the_page_lists_a_bounded_number_per_kind_and_says_when_more_fall_due(client, monkeypatch):
    from workbench import views

    monkeypatch.setattr(views, "CALENDAR_PER_KIND", 2)
    staff = UserFactory(staff=True)
    cycle = cycle_for("accepted")
    for days in (3, 4, 5):
        Finding.objects.create(
            cycle=cycle,
            severity="minor",
            description="d",
            corrective_action="a",
            due_on=timezone.localdate() + timedelta(days=days),
            raised_by=staff,
        )
    login_with_mfa(client, staff)
    page = client.get(reverse("workbench:calendar"))
    findings = [d for d in page.context["dates"] if d.kind == "finding"]
    assert [d.day for d in findings] == [
        timezone.localdate() + timedelta(days=3),
        timezone.localdate() + timedelta(days=4),
    ]
    assert 'id="calendar-truncated"' in page.content.decode()
    assert "Corrective action due" in page.context["truncated"]

    monkeypatch.setattr(views, "CALENDAR_PER_KIND", 3)
    page = client.get(reverse("workbench:calendar"))
    assert 'id="calendar-truncated"' not in page.content.decode()
