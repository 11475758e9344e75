"""The member's calendar of due dates and their personal ICS feed behind a revocable token:
their companies' dates only, parsed back with icalendar; revoked or unknown tokens are 404."""

import re
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import CaseStatus, Finding, ForfeitureCase, MemberCalendarToken
from members.models import Membership, Role
from tests.factories import UserFactory, cycle_for, licence_in, member_with
from tests.helpers import login_with_password

pytestmark = pytest.mark.django_db


def _events(content: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(content)
    assert calendar["version"] == "2.0"
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def company_with_dates(staff):
    """A member with one date of each kind: an open cycle, an open finding, a notice's
    response window and the licence's end."""
    member, signatory = member_with(Role.SIGNATORY)
    today = timezone.localdate()
    licence = licence_in("active", member=member, ends_on=today + timedelta(days=400))
    reviewed = cycle_for("accepted", licence=licence)  # one open cycle per member at a time
    cycle = cycle_for("open", licence=licence)
    finding = Finding.objects.create(
        cycle=reviewed,
        severity="minor",
        description="x",
        corrective_action="y",
        due_on=today + timedelta(days=20),
        raised_by=staff,
    )
    case = services.case_open(
        actor=staff, licence=licence, grounds="non_compliance", narrative="Open findings."
    )
    ForfeitureCase.objects.filter(pk=case.pk).update(
        status=CaseStatus.NOTICE_SENT, response_due_on=today + timedelta(days=30)
    )
    case.refresh_from_db()
    return {
        "member": member,
        "signatory": signatory,
        "expected": {
            f"member-cycle-{cycle.pk}@": cycle.due_on,
            f"member-finding-{finding.pk}@": finding.due_on,
            f"member-case-window-{case.pk}@": case.response_due_on,
            f"member-licence-end-{licence.pk}@": licence.ends_on,
        },
    }


def _uids(events):
    return {uid.split("@")[0] + "@": event.decoded("dtstart") for uid, event in events.items()}


def test_a_feed_lists_its_companys_dates_and_never_anothers(client, staff_user):
    a = company_with_dates(staff_user)
    b = company_with_dates(staff_user)
    _token, raw = services.member_calendar_token_create(actor=a["signatory"])
    response = client.get(reverse("compliance:calendar_feed", args=[raw]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "private" in response["Cache-Control"]
    events = _events(response.content)
    assert _uids(events) == a["expected"]
    assert not set(_uids(events)) & set(b["expected"])
    assert all(str(e["url"]).startswith("http") for e in events.values())
    # B's own feed has B's dates.
    _token, raw_b = services.member_calendar_token_create(actor=b["signatory"])
    events_b = _events(client.get(reverse("compliance:calendar_feed", args=[raw_b])).content)
    assert _uids(events_b) == b["expected"]


def test_a_compliance_officer_has_a_feed_a_viewer_does_not(client, staff_user):
    a = company_with_dates(staff_user)
    officer, viewer = UserFactory(), UserFactory()
    Membership.objects.create(member=a["member"], user=officer, role=Role.COMPLIANCE_OFFICER)
    Membership.objects.create(member=a["member"], user=viewer, role=Role.VIEWER)
    _token, raw = services.member_calendar_token_create(actor=officer)
    events = _events(client.get(reverse("compliance:calendar_feed", args=[raw])).content)
    assert _uids(events) == a["expected"]
    with pytest.raises(Exception, match="signatories and compliance officers"):
        services.member_calendar_token_create(actor=viewer)


def test_revoked_replaced_and_unknown_tokens_are_not_found(client, staff_user):
    a = company_with_dates(staff_user)
    signatory = a["signatory"]
    _token, first = services.member_calendar_token_create(actor=signatory)
    _token, second = services.member_calendar_token_create(actor=signatory)
    feed = lambda raw: client.get(reverse("compliance:calendar_feed", args=[raw]))  # noqa: E731
    assert feed(first).status_code == 404  # replaced by the second
    assert feed(second).status_code == 200
    assert feed("not-a-token").status_code == 404
    assert services.member_calendar_token_revoke(actor=signatory) == 1
    assert feed(second).status_code == 404
    assert MemberCalendarToken.objects.filter(user=signatory, revoked_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="member_calendar_token.revoked").count() == 1
    # Someone who no longer answers for a company: the feed is gone with the role.
    _token, third = services.member_calendar_token_create(actor=signatory)
    Membership.objects.filter(user=signatory).update(role=Role.VIEWER)
    assert feed(third).status_code == 404


def test_the_portal_page_shows_the_address_once_deny_then_allow(client, staff_user):
    a = company_with_dates(staff_user)
    page = reverse("compliance:calendar")
    create = reverse("compliance:calendar_token_create")
    assert client.get(page).status_code == 302  # anonymous: to the login page
    outsider = UserFactory()
    login_with_password(client, outsider)
    assert client.get(page).status_code == 403
    assert client.post(create).status_code == 403
    assert not MemberCalendarToken.objects.exists()

    login_with_password(client, a["signatory"])
    response = client.get(page)
    assert response.status_code == 200
    assert "Attestation due" in response.content.decode()
    created = client.post(create)
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    (url,) = re.findall(r'value="(http[^"]+\.ics)"', created.content.decode())
    path = url.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    assert client.get("/" + path).status_code == 200
    login_with_password(client, a["signatory"])
    # The page no longer shows the address, only that a feed is live.
    assert ".ics" not in client.get(page).content.decode()
    client.post(reverse("compliance:calendar_token_revoke"))
    assert client.get("/" + path).status_code == 404


def test_the_page_and_feed_stay_within_their_query_budget(
    client, staff_user, django_assert_max_num_queries
):
    a = company_with_dates(staff_user)
    for _n in range(3):
        company_with_dates(staff_user)
    _token, raw = services.member_calendar_token_create(actor=a["signatory"])
    with django_assert_max_num_queries(7):
        client.get(reverse("compliance:calendar_feed", args=[raw]))
    login_with_password(client, a["signatory"])
    with django_assert_max_num_queries(14):
        client.get(reverse("compliance:calendar"))


def test_the_demo_feed_of_member_example_com_and_the_demo_webhook(
    client, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command
    from django.test import override_settings

    from api.models import WebhookDelivery, WebhookEndpoint
    from compliance.management.commands.seed_demo import DEMO_MEMBER_FEED_TOKEN
    from members.models import Member

    out = StringIO()
    with override_settings(DEBUG=True), django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    feed = reverse("compliance:calendar_feed", args=[DEMO_MEMBER_FEED_TOKEN])
    assert feed in out.getvalue()
    events = _events(client.get(feed).content)
    demo = Member.objects.get(legal_name="Demo Diamonds Ltd")
    licence = demo.licences.get()
    assert f"member-licence-end-{licence.pk}@" in _uids(events)
    assert {str(e["summary"]).split(": ", 1)[1].split(",")[0] for e in events.values()} == {
        "Demo Diamonds Ltd"
    }
    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.active and endpoint.url.startswith("http://127.0.0.1:9/")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event == "licence.signed"
    assert delivery.message.status == "failed"
    assert delivery.attempts.get().error == "the endpoint is switched off"
