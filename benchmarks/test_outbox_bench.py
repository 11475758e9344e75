"""What a request pays for its messages, with Redis up and down, and how fast the relay
delivers a backlog to a real SMTP server.

Requests run as production configures them (the outbox is relayed by its own process, never
from a request) against a Redis of the benchmark's own, which the "down" cases stop. Run with
`make bench` (add DATABASE_URL=postgres://… to measure on PostgreSQL).
"""

import pytest
from django.urls import reverse

from alliance_portal.emails import email_queue
from alliance_portal.outbox import relay_pending
from benchmarks.results import record
from tests.factories import UserFactory, answer_everything, cycle_for, signatory_of
from tests.servers import RedisServer
from tests.smtp_sink import SmtpSink, smtp_settings


@pytest.fixture
def redis_cache(settings):
    settings.ALLIANCE_OUTBOX_INLINE = False
    with RedisServer() as redis:
        settings.CACHES = {
            "default": {
                "BACKEND": "alliance_portal.cache.FallbackRedisCache",
                "LOCATION": redis.url(1),
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
        yield redis


@pytest.mark.django_db
@pytest.mark.parametrize("redis_state", ["up", "down"])
def test_submit_an_attestation_with_ten_staff_to_tell(benchmark, client, redis_cache, redis_state):
    """The request that once mailed every staff user through the broker (18 s with Redis down)."""
    for _ in range(10):
        UserFactory(staff=True)
    if redis_state == "down":
        redis_cache.stop()

    def setup():
        cycle = cycle_for("open")
        officer = signatory_of(cycle.member)
        answer_everything(cycle, officer)
        client.force_login(officer)
        return (reverse("compliance:cycle_submit", args=[cycle.pk]),), {}

    def submit(url: str) -> None:
        response = client.post(url, {"typed_name": "Olga Ivanova", "declared": "on"})
        assert response.status_code == 302

    benchmark.group = "submit an attestation (10 staff e-mails)"
    benchmark.pedantic(submit, setup=setup, rounds=10, iterations=1)
    median = benchmark.stats.stats.median
    record(
        "outbox",
        f"submit an attestation telling 10 staff, Redis {redis_state}",
        f"{median * 1000:.0f} ms",
        "the request never waits on the broker",
        median < 1,
    )


@pytest.mark.django_db
def test_relay_a_backlog_of_200_emails(benchmark, settings):
    settings.ALLIANCE_OUTBOX_INLINE = False
    with SmtpSink() as sink:
        smtp_settings(settings, sink)

        def setup():
            for i in range(200):
                email_queue(
                    to=f"p{i}@example.com",
                    template="cycle_reminder",
                    language="en",
                    context={"company": "Acme", "url": "https://x/", "due_on": "x", "days": 7},
                )
            return (), {}

        def relay() -> None:
            assert relay_pending().delivered == 200

        benchmark.group = "outbox relay"
        benchmark.pedantic(relay, setup=setup, rounds=3, iterations=1)
        assert len(sink.received) == 600
    rate = 200 / benchmark.stats.stats.median
    record("outbox", "relay a backlog of 200 e-mails to SMTP", f"{rate:,.0f} e-mails/s")
