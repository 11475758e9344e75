"""Staff and auditor sessions end after an idle period; members keep the ordinary session."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from tests.factories import UserFactory, auditor
from tests.helpers import login_with_mfa


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def move(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Moves the portal's clock forward instead of sleeping."""
    real_now = timezone.now
    moved = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + moved.offset)
    return moved


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
class TestStaffIdleTimeout:
    def test_staff_idle_longer_than_the_limit_are_signed_out(self, client, staff_user, clock):
        login_with_mfa(client, staff_user)
        url = reverse("admin:index")
        assert client.get(url).status_code == 200
        clock.move(minutes=31)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
        assert not _signed_in(client)
        event = AuditEvent.objects.get(action="auth.idle_logout")
        assert event.actor == staff_user and event.payload == {"idle_minutes": 31}
        login_page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in login_page

    def test_staff_active_within_the_limit_stay_signed_in(self, client, staff_user, clock):
        login_with_mfa(client, staff_user)
        url = reverse("admin:index")
        assert client.get(url).status_code == 200
        clock.move(minutes=29)
        assert client.get(url).status_code == 200
        clock.move(minutes=29)  # 58 minutes after sign-in, but never 30 idle
        assert client.get(url).status_code == 200
        assert _signed_in(client)
        assert not AuditEvent.objects.filter(action="auth.idle_logout").exists()

    def test_auditors_are_signed_out_too(self, client, clock):
        person = auditor()
        login_with_mfa(client, person)
        url = reverse("auditor:members")
        assert client.get(url).status_code == 200
        clock.move(minutes=31)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert not _signed_in(client)

    def test_the_limit_is_a_setting(self, client, staff_user, clock, settings):
        settings.ALLIANCE_STAFF_IDLE_MINUTES = 5
        login_with_mfa(client, staff_user)
        url = reverse("admin:index")
        client.get(url)
        clock.move(minutes=6)
        assert client.get(url).status_code == 302

    def test_htmx_requests_are_sent_to_the_login_page_whole(self, client, staff_user, clock):
        login_with_mfa(client, staff_user)
        client.get(reverse("admin:index"))
        clock.move(minutes=31)
        response = client.get(reverse("admin:index"), headers={"HX-Request": "true"})
        assert response["HX-Redirect"] == reverse("account_login")
        assert not _signed_in(client)

    def test_members_keep_the_ordinary_session(self, client, clock):
        member_user = UserFactory()
        client.force_login(member_user)
        url = reverse("dashboard")
        assert client.get(url).status_code == 200
        clock.move(minutes=31)
        assert client.get(url).status_code == 200
        assert _signed_in(client)
