"""The in-portal notification list: mirrors the e-mails, scoped to its user, with an unread
count; a user on the daily digest gets legal notices at once and the rest once a day."""

import pytest
from django.urls import reverse

from alliance_portal.emails import email_people
from alliance_portal.models import AuditEvent, Notification, OutboxMessage
from alliance_portal.notifications import notification_digests_send, unread_count
from tests.factories import UserFactory
from tests.helpers import login_with_password


def tell(user, template="cycle_reminder", url="http://testserver/portal/"):
    return email_people(
        [user],
        template=template,
        context={"company": "Acme", "url": url, "due_on": "2027-01-01", "days": 7},
    )


@pytest.mark.django_db
class TestList:
    def test_each_email_to_a_user_is_a_notification_of_theirs(self):
        user = UserFactory(language="ru")
        [message] = tell(user)
        [notification] = Notification.objects.filter(user=user)
        assert notification.subject == message.subject.removeprefix("[ALROSA ALLIANCE] ")
        assert notification.read_at is None and unread_count(user) == 1

    def test_the_page_shows_only_the_users_own_and_the_navbar_counts_unread(self, client):
        owner, stranger = UserFactory(), UserFactory()
        tell(owner)
        tell(owner, template="finding_reminder")
        login_with_password(client, stranger)
        page = client.get(reverse("notifications")).content.decode()
        assert "No notifications yet." in page
        assert 'id="nav-notifications">Notifications</a>' in page  # no badge at zero
        login_with_password(client, owner)
        page = client.get(reverse("notifications")).content.decode()
        for notification in Notification.objects.filter(user=owner):
            assert reverse("notification_open", args=[notification.pk]) in page
            assert notification.subject in page
        assert 'title="unread">2</span>' in page

    def test_open_marks_read_and_goes_to_the_link_another_users_is_404(self, client, settings):
        settings.ALLIANCE_BASE_URL = "http://testserver"
        owner, stranger = UserFactory(), UserFactory()
        tell(owner, url="http://testserver/portal/certificates/")
        notification = Notification.objects.get(user=owner)
        url = reverse("notification_open", args=[notification.pk])
        login_with_password(client, stranger)
        assert client.post(url).status_code == 404
        notification.refresh_from_db()
        assert notification.read_at is None
        login_with_password(client, owner)
        assert client.get(url).status_code == 405
        response = client.post(url)
        assert response.status_code == 302 and response["Location"] == "/portal/certificates/"
        notification.refresh_from_db()
        assert notification.read_at is not None and unread_count(owner) == 0

    def test_a_link_elsewhere_is_not_followed(self, client, settings):
        settings.ALLIANCE_BASE_URL = "http://testserver"
        owner = UserFactory()
        tell(owner, url="https://elsewhere.example/phish")
        notification = Notification.objects.get(user=owner)
        login_with_password(client, owner)
        response = client.post(reverse("notification_open", args=[notification.pk]))
        assert response["Location"] == reverse("notifications")

    def test_mark_all_read_touches_only_the_users_own(self, client):
        owner, stranger = UserFactory(), UserFactory()
        tell(owner)
        tell(owner)
        tell(stranger)
        login_with_password(client, owner)
        client.post(reverse("notifications_read_all"))
        assert unread_count(owner) == 0 and unread_count(stranger) == 1

    def test_the_unread_badge_costs_one_query(self, client, django_assert_num_queries):
        owner = UserFactory()
        tell(owner)
        login_with_password(client, owner)
        client.get(reverse("home"))  # warm the session
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("home"))
        counts = [q["sql"] for q in queries if "alliance_portal_notification" in q["sql"]]
        assert len(counts) == 1 and "COUNT" in counts[0].upper()


@pytest.mark.django_db
class TestDigest:
    def test_the_preference_is_the_users_own_choice_and_audited(self, client):
        user = UserFactory()
        login_with_password(client, user)
        url = reverse("notification_preference")
        assert client.post(url, {"email_delivery": "weekly"}).status_code == 400
        user.refresh_from_db()
        assert user.email_delivery == "immediate"
        assert client.post(url, {"email_delivery": "daily"}).status_code == 302
        user.refresh_from_db()
        assert user.email_delivery == "daily"
        assert AuditEvent.objects.filter(action="user.email_delivery_changed", actor=user).exists()

    def test_a_digest_user_gets_legal_notices_at_once_and_the_rest_held(self):
        user = UserFactory(email_delivery="daily", language="ru")
        assert tell(user) == []  # a reminder may wait
        legal = email_people(
            [user],
            template="case_decided",
            context={
                "company": "Acme",
                "url": "http://x/",
                "decision": "suspension",
                "reasons": "R",
            },
        )
        assert [message.template for message in legal] == ["case_decided"]
        assert not OutboxMessage.objects.filter(template="cycle_reminder").exists()
        assert Notification.objects.filter(user=user, digest_pending=True).count() == 1

    def test_the_daily_job_sends_one_digest_with_every_held_item_once(self):
        daily = UserFactory(email_delivery="daily", language="ru")
        immediate = UserFactory()
        tell(daily)
        tell(daily, template="finding_reminder")
        tell(immediate)
        assert notification_digests_send() == 1
        [digest] = OutboxMessage.objects.filter(template="notification_digest")
        assert digest.recipient == daily.email and digest.language == "ru"
        for notification in Notification.objects.filter(user=daily):
            assert notification.subject in digest.body_text
            assert not notification.digest_pending
        assert "Ваша ежедневная сводка: 2 сообщения" in digest.subject
        assert notification_digests_send() == 0  # idempotent
        assert OutboxMessage.objects.filter(template="notification_digest").count() == 1

    def test_the_job_is_registered_and_scheduled(self):
        from alliance_portal.celery import app
        from compliance.services.jobs_registry import JOBS

        assert JOBS["send_notification_digests"] is notification_digests_send
        assert any(
            entry.get("args") == ["send_notification_digests"]
            for entry in app.conf.beat_schedule.values()
        )
