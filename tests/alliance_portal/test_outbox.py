"""The outbox: messages recorded with the change that caused them, delivered by the relay to a
real SMTP server (tests/smtp_sink.py), retried with backoff, never sent twice."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from alliance_portal import outbox
from alliance_portal.emails import email_queue
from alliance_portal.models import AuditEvent, OutboxMessage
from members.services import team
from tests.factories import MemberFactory, UserFactory, member_with
from tests.helpers import login_with_mfa
from tests.smtp_sink import SmtpSink, smtp_settings

S = OutboxMessage.Status


def queue_one(to: str = "someone@example.com", **options) -> OutboxMessage:
    return email_queue(
        to=to,
        template="cycle_reminder",
        language="en",
        context={"company": "Acme", "url": "https://x/", "due_on": "2027-01-01", "days": 7},
        **options,
    )


@pytest.fixture
def relay_by_hand(settings):
    """As in production: nothing is delivered until a relay runs."""
    settings.ALLIANCE_OUTBOX_INLINE = False
    settings.ALLIANCE_OUTBOX_RETRY_SECONDS = 30
    return settings


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        smtp_settings(settings, server)
        yield server


def make_due() -> None:
    """Time passes: every pending row's next attempt is now."""
    OutboxMessage.objects.filter(status=S.PENDING).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
class TestQueueing:
    def test_a_rolled_back_change_sends_nothing(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    queue_one()
                    raise RuntimeError("the change failed")
            except RuntimeError:
                pass
        assert not OutboxMessage.objects.exists()
        assert mail.outbox == []

    def test_a_committed_message_is_rendered_recorded_and_sent_once(
        self, django_capture_on_commit_callbacks
    ):
        member = MemberFactory()
        with django_capture_on_commit_callbacks(execute=True):
            message = queue_one(about=member, member_id=member.pk)
        message.refresh_from_db()
        assert [m.to for m in mail.outbox] == [["someone@example.com"]]
        assert message.status == S.DELIVERED and message.delivered_at is not None
        assert message.attempts == 1 and message.template == "cycle_reminder"
        assert message.subject == mail.outbox[0].subject and "Acme" in message.body_text
        assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id
        assert list(outbox.messages_about(member)) == [message]
        assert list(outbox.messages_for_member(member.pk)) == [message]

    def test_a_request_never_talks_to_smtp(self, client, relay_by_hand, settings):
        """The mail server is unreachable (nothing listens on its port) and the request does
        not notice: the invitation is recorded, its e-mail waits in the outbox untried."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
        member, signatory = member_with()
        client.force_login(signatory)
        response = client.post(
            reverse("portal:team_invite", args=[member.pk]),
            {"email": "new@example.com", "role": "viewer"},
        )
        assert response.status_code == 302
        message = OutboxMessage.objects.get(recipient="new@example.com")
        assert message.status == S.PENDING and message.attempts == 0
        assert message.member_ref == member.pk and message.target_type == "members.invitation"


@pytest.mark.django_db
class TestRelay:
    def test_smtp_down_then_up_every_message_arrives_once(self, relay_by_hand, settings):
        with SmtpSink() as sink:
            smtp_settings(settings, sink)
            port = sink.port
        # The mail server is down: every message is retried later, nothing is lost.
        messages = [queue_one(to=f"p{i}@example.com") for i in range(5)]
        report = outbox.relay_pending()
        assert report.delivered == 0 and report.retried == 5 and report.failed == 0
        for message in OutboxMessage.objects.all():
            assert message.status == S.PENDING and message.attempts == 1
            assert message.last_error and message.delivered_at is None
            assert message.next_attempt_at > timezone.now() + timedelta(seconds=20)
        assert outbox.relay_pending().handled == 0  # not due yet: backoff
        # The server is back; the next attempt delivers each message exactly once.
        with SmtpSink(port=port) as sink:
            make_due()
            assert outbox.relay_pending().delivered == 5
            make_due()
            assert outbox.relay_pending().handled == 0
            assert sorted(sink.message_ids()) == sorted(m.message_id for m in messages)
        for message in OutboxMessage.objects.all():
            assert message.status == S.DELIVERED and message.attempts == 2
            assert message.delivered_at is not None and message.last_error == ""

    def test_a_refused_address_fails_at_once_and_the_rest_goes_out(self, relay_by_hand, sink):
        sink.refused.add("nobody@example.com")
        bad = queue_one(to="nobody@example.com")
        good = queue_one(to="somebody@example.com")
        report = outbox.relay_pending()
        assert (report.delivered, report.failed) == (1, 1)
        bad.refresh_from_db()
        good.refresh_from_db()
        assert bad.status == S.FAILED and "550" in bad.last_error and bad.failed_at
        assert good.status == S.DELIVERED
        assert [to for to, _m in sink.received] == ["somebody@example.com"]

    def test_a_server_that_refuses_us_fails_no_message(self, relay_by_hand, sink):
        """A 5xx about the server (a wrong login, a refused sender) is not a refusal of the
        messages: they wait, secrets intact, and go out once the server takes them."""
        sink.refuse_sender = True
        for i in range(3):
            queue_one(to=f"p{i}@example.com")
        secret = email_queue(
            to="new@example.com",
            template="cycle_reminder",
            language="en",
            context={"company": "Acme", "url": "https://x/token-123", "due_on": "x", "days": 7},
            sensitive=True,
        )
        report = outbox.relay_pending()
        assert report.failed == 0 and report.delivered == 0
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {S.PENDING}
        secret.refresh_from_db()
        assert "token-123" in secret.body_text
        sink.refuse_sender = False
        make_due()
        assert outbox.relay_pending().delivered == 4
        assert len(sink.received) == 4

    def test_an_unforeseen_error_is_recorded_and_the_batch_goes_on(self, relay_by_hand, sink):
        from alliance_portal.outbox import email_record

        bad = email_record(recipient="a@example.com", subject="two\nlines", body_text="x")
        good = queue_one(to="b@example.com")
        report = outbox.relay_pending()  # raises nothing
        bad.refresh_from_db()
        good.refresh_from_db()
        assert good.status == S.DELIVERED and report.delivered == 1
        assert bad.status == S.PENDING and "BadHeaderError" in bad.last_error
        OutboxMessage.objects.filter(pk=bad.pk).update(
            next_attempt_at=timezone.now(), give_up_at=timezone.now()
        )
        outbox.relay_pending()
        bad.refresh_from_db()
        assert bad.status == S.FAILED  # given up at its horizon, not stuck

    def test_a_relay_whose_lease_ran_out_does_not_overwrite_the_next_one(self, relay_by_hand, sink):
        message = queue_one()
        (late,) = outbox._claim(10)  # relay A claims it, then stalls past its lease
        make_due()
        assert outbox.relay_pending().delivered == 1  # relay B claims and delivers it
        outbox._record(late, outbox._Refused("550 too late"), outbox.RelayReport())
        message.refresh_from_db()
        assert message.status == S.DELIVERED and message.failed_at is None
        assert len(sink.received) == 1

    def test_a_batch_is_handed_back_before_its_lease_ends(self, relay_by_hand, sink, settings):
        settings.ALLIANCE_OUTBOX_LEASE_SECONDS = 0  # every send is already past half the lease
        message = queue_one()
        assert outbox.relay_pending().handled == 0
        message.refresh_from_db()
        assert message.status == S.PENDING and message.next_attempt_at <= timezone.now()
        assert sink.received == []

    def test_after_the_horizon_a_message_is_given_up(self, relay_by_hand, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
        message = queue_one()
        OutboxMessage.objects.filter(pk=message.pk).update(
            give_up_at=timezone.now() + timedelta(seconds=5)
        )
        assert outbox.relay_pending().failed == 1
        message.refresh_from_db()
        assert message.status == S.FAILED and message.failed_at is not None

    def test_backoff_doubles_up_to_the_cap(self, settings):
        settings.ALLIANCE_OUTBOX_RETRY_SECONDS = 30
        settings.ALLIANCE_OUTBOX_RETRY_MAX_SECONDS = 3600
        waits = [outbox.backoff(n).total_seconds() for n in range(1, 10)]
        assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    def test_a_claimed_batch_is_leased_so_a_dead_relay_only_delays_it(self, relay_by_hand):
        message = queue_one()
        claimed = outbox._claim(10)
        assert [m.pk for m in claimed] == [message.pk]
        # The relay that claimed it died here: nobody else takes it until the lease ends.
        assert outbox._claim(10) == []
        make_due()
        assert [m.pk for m in outbox._claim(10)] == [message.pk]

    def test_an_unknown_task_fails_and_a_task_is_delivered(self, relay_by_hand):
        from alliance_portal.tasks import sessions_clear_expired

        unknown = outbox.task_queue("alliance_portal.tasks.no_such_task")
        known = outbox.task_queue(sessions_clear_expired)
        outbox.relay_pending()
        unknown.refresh_from_db()
        known.refresh_from_db()
        assert unknown.status == S.FAILED and "no task" in unknown.last_error
        assert known.status == S.DELIVERED


@pytest.mark.django_db
class TestSecretsAndStaff:
    def test_an_invitation_link_is_not_kept_after_delivery(self, relay_by_hand, sink, client):
        member, signatory = member_with()
        with transaction.atomic():
            _invitation, token = team.invitation_create(
                actor=signatory, member=member, email="new@example.com", role="viewer"
            )
        message = OutboxMessage.objects.get(recipient="new@example.com")
        assert message.sensitive and token in message.body_text  # until it is delivered
        outbox.relay_pending()
        message.refresh_from_db()
        assert message.status == S.DELIVERED and token not in message.body_text + message.body_html
        assert token in sink.to("new@example.com")[0].as_string()
        staff = UserFactory(staff=True)
        login_with_mfa(client, staff)
        page = client.get(reverse("admin:alliance_portal_outboxmessage_change", args=[message.pk]))
        assert page.status_code == 200 and token not in page.content.decode()

    def test_account_emails_go_through_the_outbox(self, client, relay_by_hand, sink):
        user = UserFactory(email="forgot@example.com")
        response = client.post(reverse("account_reset_password"), {"email": user.email})
        assert response.status_code == 302
        message = OutboxMessage.objects.get(recipient="forgot@example.com")
        assert message.sensitive and message.status == S.PENDING
        assert sink.received == []
        outbox.relay_pending()
        assert len(sink.to("forgot@example.com")) == 1

    def test_staff_see_the_outbox_and_retry_a_failure_members_do_not(
        self, client, relay_by_hand, sink
    ):
        sink.refused.add("typo@example.com")
        message = queue_one(to="typo@example.com")
        outbox.relay_pending()
        url = reverse("admin:alliance_portal_outboxmessage_changelist")
        _member, member_user = member_with()
        client.force_login(member_user)
        assert client.get(url).status_code == 302  # to the admin login: not staff
        staff = UserFactory(staff=True)
        login_with_mfa(client, staff)
        page = client.get(url + "?status__exact=failed")
        assert page.status_code == 200 and "typo@example.com" in page.content.decode()
        sink.refused.clear()
        response = client.post(
            url, {"action": "send_again", "_selected_action": [message.pk]}, follow=True
        )
        assert response.status_code == 200
        message.refresh_from_db()
        assert message.status == S.PENDING
        assert AuditEvent.objects.filter(action="outbox.retried", actor=staff).count() == 1
        outbox.relay_pending()
        assert len(sink.to("typo@example.com")) == 1

    def test_a_secret_message_is_never_sent_again_by_staff(self, relay_by_hand, sink):
        member, signatory = member_with()
        sink.refused.add("gone@example.com")
        team.invitation_create(
            actor=signatory, member=member, email="gone@example.com", role="viewer"
        )
        outbox.relay_pending()
        message = OutboxMessage.objects.get(recipient="gone@example.com")
        assert message.status == S.FAILED and message.body_text == outbox.SCRUBBED
        staff = UserFactory(staff=True)
        with pytest.raises(Exception, match="one-time link"):
            outbox.outbox_retry(actor=staff, message=message)

    def test_seeing_the_outbox_is_not_enough_to_resend(self, client, relay_by_hand, sink):
        from django.contrib.auth.models import Permission
        from django.core.exceptions import PermissionDenied

        sink.refused.add("typo@example.com")
        message = queue_one(to="typo@example.com")
        outbox.relay_pending()
        viewer = UserFactory(is_staff=True, groups=["(none: only the permission below)"])
        viewer.user_permissions.add(
            Permission.objects.get(
                codename="view_outboxmessage", content_type__app_label="alliance_portal"
            )
        )
        with pytest.raises(PermissionDenied):
            outbox.outbox_retry(actor=viewer, message=message)
        login_with_mfa(client, viewer)
        url = reverse("admin:alliance_portal_outboxmessage_changelist")
        page = client.get(url)
        assert page.status_code == 200 and "send_again" not in page.content.decode()
        client.post(url, {"action": "send_again", "_selected_action": [message.pk]})
        message.refresh_from_db()
        assert message.status == S.FAILED

    def test_only_staff_may_retry_or_acknowledge(self, relay_by_hand, sink):
        from django.core.exceptions import PermissionDenied

        sink.refused.add("typo@example.com")
        message = queue_one(to="typo@example.com")
        outbox.relay_pending()
        _member, member_user = member_with()
        for action in (outbox.outbox_retry, outbox.outbox_acknowledge):
            with pytest.raises(PermissionDenied):
                action(actor=member_user, message=message)
        staff = UserFactory(staff=True)
        assert outbox.outbox_acknowledge(actor=staff, message=message)
        message.refresh_from_db()
        assert message.acknowledged_by == staff


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_send_each_message_once(settings):
    settings.ALLIANCE_OUTBOX_INLINE = False
    with SmtpSink() as sink:
        smtp_settings(settings, sink)
        messages = [queue_one(to=f"p{i}@example.com") for i in range(60)]
        barrier = threading.Barrier(3)
        reports: list[outbox.RelayReport] = []

        def relay() -> None:
            try:
                barrier.wait()
                reports.append(outbox.relay_pending(batch_size=5))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=relay) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.delivered for r in reports) == 60
        assert sorted(sink.message_ids()) == sorted(m.message_id for m in messages)
        assert len([r for r in reports if r.delivered]) >= 2  # the work was shared
