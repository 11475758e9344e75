"""Webhooks: every event reaches a receiver the test starts, once, signed per Standard
Webhooks (verified with the library); retried after the receiver was down or said 503; sent
again with the same webhook-id; refused destinations; the admin, deny then allow."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from alliance_portal.events import EventName, event_record
from alliance_portal.models import AuditEvent, OutboxMessage
from alliance_portal.outbox import relay_pending
from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.webhooks import destination_problem, webhook_delivery_resend, webhook_endpoint_create
from compliance import services as compliance
from compliance.models import CaseStatus, ComplianceCertificate, ForfeitureCase
from licensing.agreement import agreement_text, sha256_text
from licensing.services import licence_sign
from licensing.signing import consents
from members import services as members
from tests.factories import (
    CHECKLIST_DONE,
    MemberFactory,
    UserFactory,
    answer_everything,
    complete_application,
    cycle_for,
    decider,
    licence_in,
)
from tests.helpers import login_with_mfa
from tests.webhook_receiver import WebhookReceiver

Status = OutboxMessage.Status


def endpoint_for(url, staff, events=None):
    endpoint, secret = webhook_endpoint_create(
        actor=staff, name="Customer CRM", url=url, events=events or EventName.values
    )
    assert secret.startswith("whsec_") and endpoint.secret == secret
    return endpoint


def verified(endpoint, request):
    """The library's own check: raises unless the signature, id and timestamp are right."""
    return Webhook(endpoint.secret).verify(request.body, request.headers)


def make_every_event(staff):
    """Each of the ten events, caused by the real services."""
    applicant = UserFactory()
    application = complete_application(applicant=applicant, **CHECKLIST_DONE)
    members.application_submit(actor=applicant, application=application)
    members.application_start_review(actor=staff, application=application)
    members.application_reject(actor=staff, application=application, reason="Not a client.")

    licence = licence_in("issued", member=MemberFactory(public_listing_consent=True))
    from members.models import Membership, Role

    signatory = UserFactory()
    Membership.objects.create(member=licence.member, user=signatory, role=Role.SIGNATORY)
    licence_sign(
        actor=signatory,
        licence=licence,
        typed_name="Ivan Petrov",
        typed_title="Director",
        accepted=[key for key, _text in consents()],
        shown_sha256=sha256_text(agreement_text(licence)),
    )
    licence.refresh_from_db()

    cycle = cycle_for("open", licence=licence)
    answer_everything(cycle, signatory)
    compliance.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    compliance.cycle_start_review(actor=staff, cycle=cycle)
    compliance.finding_raise(
        actor=staff,
        cycle=cycle,
        criterion=None,
        severity="minor",
        description="The policy is not dated.",
        corrective_action="Date and sign it.",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    compliance.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    certificate = ComplianceCertificate.objects.get(cycle=cycle)
    compliance.certificate_render(certificate_id=certificate.pk)

    case = compliance.case_open(
        actor=staff, licence=licence, grounds="non_compliance", narrative="Findings left open."
    )
    ForfeitureCase.objects.filter(pk=case.pk).update(
        status=CaseStatus.RESPONSE_RECEIVED,
        response_due_on=timezone.localdate() + timedelta(days=30),
    )
    case.refresh_from_db()
    # Forfeiture: the case, its licence's status and its certificate's revocation.
    compliance.case_decide(actor=decider(), case=case, decision="forfeiture", reasons="Breach.")
    return {"application": application, "licence": licence, "certificate": certificate}


@pytest.mark.django_db
def test_every_event_reaches_the_receiver_once_signed(staff_user):
    with WebhookReceiver() as receiver:
        endpoint = endpoint_for(receiver.url, staff_user)
        made = make_every_event(staff_user)
        report = relay_pending()
        # Nothing left to send: a second pass sends nothing again.
        relay_pending()

    bodies = [verified(endpoint, request) for request in receiver.received]
    kinds = sorted(body["type"] for body in bodies)
    assert kinds == sorted(EventName.values)
    assert report.failed == 0
    ids = [request.headers["webhook-id"] for request in receiver.received]
    assert len(ids) == len(set(ids)), "each call is sent once"
    assert all(request.path == "/hooks/alliance" for request in receiver.received)
    by_type = {body["type"]: body for body in bodies}
    # The payload is the API's representation, as the change left the record.
    assert by_type["application.decided"]["data"]["id"] == made["application"].pk
    assert by_type["application.decided"]["data"]["status"] == "rejected"
    assert by_type["licence.signed"]["data"]["status"] == "active"
    assert by_type["licence.status_changed"]["data"]["status"] == "forfeited"
    assert by_type["certificate.issued"]["data"]["status"] == "issued"
    assert by_type["certificate.revoked"]["data"]["status"] == "revoked"
    assert by_type["certificate.revoked"]["data"]["number"] == made["certificate"].number
    deliveries = WebhookDelivery.objects.select_related("message")
    assert {d.message.status for d in deliveries} == {Status.DELIVERED}
    assert {d.message.response_status for d in deliveries} == {204}
    assert WebhookAttempt.objects.count() == len(receiver.received)


@pytest.mark.django_db
def test_a_rolled_back_change_announces_nothing(staff_user):
    endpoint_for("http://127.0.0.1:9/never", staff_user)
    licence = licence_in("active")
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(EventName.LICENCE_STATUS_CHANGED, licence)
        raise RuntimeError("the service failed after the event")
    assert not WebhookDelivery.objects.exists()
    assert not OutboxMessage.objects.filter(kind="webhook").exists()


@pytest.mark.django_db
def test_only_subscribed_active_endpoints_get_an_event(staff_user):
    wants = endpoint_for("http://127.0.0.1:9/a", staff_user, [EventName.FINDING_RAISED])
    endpoint_for("http://127.0.0.1:9/b", staff_user, [EventName.CASE_DECIDED])
    off = endpoint_for("http://127.0.0.1:9/c", staff_user, [EventName.FINDING_RAISED])
    WebhookEndpoint.objects.filter(pk=off.pk).update(active=False)
    licence = licence_in("active")
    with transaction.atomic():
        event_record(EventName.LICENCE_STATUS_CHANGED, licence)
    assert not WebhookDelivery.objects.exists()
    cycle = cycle_for("in_review", licence=licence)
    compliance.finding_raise(
        actor=staff_user,
        cycle=cycle,
        criterion=None,
        severity="minor",
        description="x",
        corrective_action="y",
        due_on=timezone.localdate() + timedelta(days=9),
    )
    assert [d.endpoint_id for d in WebhookDelivery.objects.all()] == [wants.pk]


def _due_now(delivery):
    """Time passes: the backoff is over."""
    OutboxMessage.objects.filter(pk=delivery.message_id).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_the_receiver_gets_the_retry_after_it_was_down(staff_user):
    receiver = WebhookReceiver()  # not started: nothing listens on its port yet
    endpoint = endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
    licence = licence_in("active")
    with transaction.atomic():
        event_record(EventName.LICENCE_STATUS_CHANGED, licence)
    report = relay_pending()
    assert report.retried == 1 and report.delivered == 0
    delivery = WebhookDelivery.objects.select_related("message").get()
    message = delivery.message
    assert message.status == Status.PENDING and message.next_attempt_at > timezone.now()
    assert "Connection refused" in message.last_error or "URLError" in message.last_error
    first = delivery.attempts.get()
    assert first.status_code is None and first.error

    with receiver:
        # Still waiting for its backoff: not sent before its time.
        assert relay_pending().handled == 0
        _due_now(delivery)
        assert relay_pending().delivered == 1
    assert len(receiver.received) == 1
    body = verified(endpoint, receiver.received[0])
    assert body["type"] == "licence.status_changed" and body["data"]["id"] == licence.pk
    assert receiver.received[0].headers["webhook-id"] == message.message_id
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.attempts == 2
    assert list(delivery.attempts.order_by("at").values_list("status_code", flat=True)) == [
        None,
        204,
    ]


@pytest.mark.django_db
def test_a_503_is_retried_with_the_same_id_and_body(staff_user):
    with WebhookReceiver(answers=[503]) as receiver:
        endpoint = endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
        with transaction.atomic():
            event_record(EventName.LICENCE_STATUS_CHANGED, licence_in("active"))
        assert relay_pending().retried == 1
        delivery = WebhookDelivery.objects.select_related("message").get()
        delivery.message.refresh_from_db()
        assert delivery.message.response_status == 503
        _due_now(delivery)
        assert relay_pending().delivered == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    verified(endpoint, second)


@pytest.mark.django_db
def test_send_again_delivers_again_with_the_same_webhook_id(staff_user):
    with WebhookReceiver() as receiver:
        endpoint = endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
        with transaction.atomic():
            event_record(EventName.LICENCE_STATUS_CHANGED, licence_in("active"))
        relay_pending()
        delivery = WebhookDelivery.objects.select_related("message").get()
        assert webhook_delivery_resend(actor=staff_user, delivery=delivery) is True
        assert AuditEvent.objects.filter(action="webhook_delivery.resent").count() == 1
        # Pending again: a second click does nothing more.
        assert webhook_delivery_resend(actor=staff_user, delivery=delivery) is False
        assert relay_pending().delivered == 1
    assert len(receiver.received) == 2
    first, again = receiver.received
    assert again.headers["webhook-id"] == first.headers["webhook-id"]
    assert again.body == first.body
    assert verified(endpoint, again)["type"] == "licence.status_changed"


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_not_retried(staff_user):
    with WebhookReceiver(answers=[302]) as receiver:
        endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
        with transaction.atomic():
            event_record(EventName.LICENCE_STATUS_CHANGED, licence_in("active"))
        report = relay_pending()
    assert report.failed == 1
    assert [r.path for r in receiver.received] == ["/hooks/alliance"]  # /elsewhere: never
    message = WebhookDelivery.objects.get().message
    assert message.status == Status.FAILED and message.response_status == 302


@pytest.mark.django_db
def test_private_destinations_are_refused_where_the_setting_says(settings, staff_user):
    settings.ALLIANCE_WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
    ):
        assert destination_problem(url), url
    assert destination_problem("ftp://example.com/x")
    with WebhookReceiver() as receiver:
        endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
        with transaction.atomic():
            event_record(EventName.LICENCE_STATUS_CHANGED, licence_in("active"))
        assert relay_pending().failed == 1
    assert receiver.received == []
    assert "non-public" in WebhookDelivery.objects.get().message.last_error
    settings.ALLIANCE_WEBHOOK_ALLOW_PRIVATE = True
    assert destination_problem("http://127.0.0.1:8000/x") == ""


@pytest.mark.django_db
class TestAdmin:
    def test_endpoints_and_deliveries_deny_then_allow(self, client, staff_user):
        outsider = UserFactory(staff=True, groups=["Decision makers"])
        login_with_mfa(client, outsider)
        add = reverse("admin:api_webhookendpoint_add")
        deliveries = reverse("admin:api_webhookdelivery_changelist")
        assert client.get(add).status_code == 403
        assert client.get(deliveries).status_code == 403
        response = client.post(
            add, {"name": "CRM", "url": "https://crm.example.com/h", "events": ["case.decided"]}
        )
        assert response.status_code == 403 and not WebhookEndpoint.objects.exists()

        login_with_mfa(client, staff_user)
        assert client.get(add).status_code == 200
        response = client.post(
            add,
            {
                "name": "CRM",
                "url": "https://crm.example.com/h",
                "events": ["case.decided", "licence.signed"],
                "active": "on",
            },
        )
        assert response.status_code == 200
        endpoint = WebhookEndpoint.objects.get()
        # The secret is on this page once; the endpoint's own page never shows it.
        assert endpoint.secret in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert endpoint.events == ["case.decided", "licence.signed"]
        change = client.get(reverse("admin:api_webhookendpoint_change", args=[endpoint.pk]))
        assert change.status_code == 200 and endpoint.secret not in change.content.decode()
        assert AuditEvent.objects.filter(action="webhook_endpoint.created").count() == 1
        assert client.get(deliveries).status_code == 200

    def test_bad_input_is_a_form_error_not_a_500(self, client, staff_user):
        login_with_mfa(client, staff_user)
        add = reverse("admin:api_webhookendpoint_add")
        for data in (
            {"name": "x", "url": "ftp://example.com/h", "events": ["case.decided"]},
            {"name": "x", "url": "https://example.com/h", "events": ["no.such_event"]},
            {"name": "x", "url": "https://example.com/h"},
            {"name": "x", "url": "https://user:pw@example.com/h", "events": ["case.decided"]},
        ):
            response = client.post(add, data)
            assert response.status_code == 200, data
            assert response.context["adminform"].form.errors, data
        assert not WebhookEndpoint.objects.exists()

    def test_send_again_action_deny_then_allow(self, client, staff_user):
        with WebhookReceiver() as receiver:
            endpoint_for(receiver.url, staff_user, [EventName.LICENCE_STATUS_CHANGED])
            with transaction.atomic():
                event_record(EventName.LICENCE_STATUS_CHANGED, licence_in("active"))
            relay_pending()
            delivery = WebhookDelivery.objects.get()
            url = reverse("admin:api_webhookdelivery_changelist")
            action = {"action": "send_again", "_selected_action": [delivery.pk]}

            viewer = UserFactory(staff=True, groups=["Decision makers"])
            from django.contrib.auth.models import Permission

            viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
            login_with_mfa(client, viewer)
            assert client.get(url).status_code == 200
            client.post(url, action)
            assert relay_pending().handled == 0

            login_with_mfa(client, staff_user)
            page = client.get(reverse("admin:api_webhookdelivery_change", args=[delivery.pk]))
            assert page.status_code == 200
            assert delivery.message.message_id in page.content.decode()
            response = client.post(url, action, follow=True)
            assert response.status_code == 200
            assert relay_pending().delivered == 1
        assert len(receiver.received) == 2
        assert json.loads(receiver.received[1].body)["type"] == "licence.status_changed"
