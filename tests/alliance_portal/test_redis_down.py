"""Degraded mode: with Redis down the portal answers as usual (issue 9, part 4).

Each test points the cache at a Redis of its own (tests/servers.py) and stops it; the shared
Redis is never touched. Time, where it matters, is moved by hand (`clock`), never waited for.
"""

import datetime
import json
import logging
import threading

import pytest
from django.core.cache import cache, caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import alliance_portal.cache
from alliance_portal.cache import FallbackRedisCache
from alliance_portal.models import Document
from compliance.models import CertificateStatus, ComplianceCertificate
from tests.alliance_portal.test_documents import upload
from tests.alliance_portal.test_settings import PRODUCTION_ENV, _run
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, cycle_for
from tests.files import pdf_bytes
from tests.servers import RedisServer, SilentServer

pytestmark = pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server")

RETRY_AFTER = 30
LOGIN_FAILED = "The email address and/or password you specified are not correct."
TOO_MANY_LOGINS = "Too many failed login attempts"


class Clock:
    """Stands in for the cache's monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(alliance_portal.cache, "monotonic", clock)
    return clock


def use_cache_at(settings, monkeypatch, url: str, **options) -> FallbackRedisCache:
    """Point the default cache at `url`, with no circuit state left over from other tests."""
    monkeypatch.setattr(alliance_portal.cache, "_circuits", {})
    settings.CACHES = {
        "default": {
            "BACKEND": "alliance_portal.cache.FallbackRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "alliance",
            "OPTIONS": {"RETRY_AFTER": RETRY_AFTER, **options},
        }
    }
    # Changing CACHES resets Django's cache handler (django.test.signals); make sure it did.
    backend = caches["default"]
    assert isinstance(backend, FallbackRedisCache) and backend._urls == [url]
    return backend


@pytest.fixture
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_redis(settings, monkeypatch, clock, redis_server):
    """The cache and REDIS_URL on a Redis of this test's own; yields the server."""
    settings.REDIS_URL = redis_server.url(0)
    backend = use_cache_at(settings, monkeypatch, redis_server.url(0))
    yield redis_server
    backend._fallback.clear()  # this process's fallback for this server only


@pytest.fixture
def fallback_log(caplog):
    caplog.set_level(logging.INFO, logger="alliance_portal.cache")

    def records(level=logging.WARNING):
        return [
            r for r in caplog.records if r.name == "alliance_portal.cache" and r.levelno == level
        ]

    return records


def revoked_certificate() -> ComplianceCertificate:
    cycle = cycle_for("accepted")
    today = timezone.localdate()
    return ComplianceCertificate.objects.create(
        number="AAC-2026-0001",
        verification_code="k" * 32,
        cycle=cycle,
        member=cycle.member,
        licence=cycle.licence,
        outcome="compliant",
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=300),
        status=CertificateStatus.REVOKED,
        ended_at=timezone.now(),
    )


@pytest.mark.django_db
class TestWhileRedisIsDown:
    def test_login_logout_and_password_reset(self, client, own_redis, fallback_log):
        UserFactory(email="ivan@example.org")
        own_redis.stop()
        login = reverse("account_login")
        assert client.get(login).status_code == 200
        wrong = client.post(login, {"login": "ivan@example.org", "password": "not it at all"})
        assert wrong.status_code == 200 and LOGIN_FAILED in wrong.content.decode()
        right = client.post(login, {"login": "ivan@example.org", "password": PASSWORD})
        assert right.status_code == 302 and right["Location"] == reverse("dashboard")
        assert client.get(reverse("dashboard")).status_code == 200
        assert client.post(reverse("account_logout")).status_code == 302
        assert "_auth_user_id" not in client.session
        reset = client.post(reverse("account_reset_password"), {"email": "ivan@example.org"})
        assert reset.status_code == 302
        assert len(fallback_log()) == 1

    def test_staff_login_with_the_authenticator_code(self, client, own_redis):
        # The code is checked against replays in the cache.
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
        from allauth.mfa.utils import decrypt

        staff = UserFactory(staff=True, email="sofia@example.org")
        own_redis.stop()
        login = client.post(
            reverse("account_login"), {"login": "sofia@example.org", "password": PASSWORD}
        )
        assert login["Location"] == reverse("mfa_authenticate")
        totp = TOTP(Authenticator.objects.get(user=staff, type="totp"))
        secret = decrypt(totp.instance.data["secret"])
        code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200

    def test_verify_by_code_and_by_the_form(self, client, own_redis):
        certificate = revoked_certificate()
        own_redis.stop()
        form = reverse("verify:form")
        assert client.get(form).status_code == 200
        lookup = client.get(form, {"code": certificate.verification_code})
        assert lookup.status_code == 302
        page = client.get(lookup["Location"])
        assert page.status_code == 200 and "Revoked" in page.content.decode()
        body = client.get(lookup["Location"], {"format": "json"}).json()
        assert body["number"] == certificate.number and body["status"] == "revoked"
        dropped = client.post(form, {"pdf": SimpleUploadedFile("c.pdf", pdf_bytes())})
        assert dropped.status_code == 404  # as with Redis up: no certificate has this PDF
        assert "Not found" in dropped.content.decode()

    def test_browsing_and_downloading_a_document(self, client, own_redis):
        application = ApplicationFactory()
        upload(client, application, "charter.pdf", pdf_bytes())
        document = Document.objects.get()
        own_redis.stop()
        detail = client.get(reverse("portal:application_detail", args=[application.pk]))
        assert detail.status_code == 200
        download = client.get(
            reverse("portal:application_document", args=[application.pk, document.pk])
        )
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == pdf_bytes()

    def test_the_fallback_is_logged_once_for_many_requests(self, client, own_redis, fallback_log):
        UserFactory(email="ivan@example.org")
        own_redis.stop()
        url = reverse("verify:code", args=["guessing"])
        for _ in range(20):
            assert client.get(url).status_code == 404
        client.post(reverse("account_login"), {"login": "ivan@example.org", "password": "no"})
        [warning] = fallback_log()
        assert "unavailable" in warning.getMessage()
        assert own_redis.url(0) in warning.getMessage()

    def test_the_log_says_where_but_not_the_password(self, settings, monkeypatch, fallback_log):
        backend = use_cache_at(settings, monkeypatch, "redis://:s3cret@127.0.0.1:1/2")
        assert backend.get("anything") is None
        [warning] = fallback_log()
        assert "redis://127.0.0.1:1/2" in warning.getMessage()
        assert "s3cret" not in warning.getMessage()


@pytest.mark.django_db
class TestRateLimitsStillLimit:
    def test_verify_lookups(self, client, own_redis):
        own_redis.stop()
        url = reverse("verify:code", args=["guessing"])
        statuses = [client.get(url).status_code for _ in range(65)]
        assert statuses[0] == 404 and statuses[-1] == 429

    def test_failed_logins(self, client, own_redis):
        UserFactory(email="ivan@example.org")
        own_redis.stop()
        url = reverse("account_login")
        for _ in range(5):
            client.post(url, {"login": "ivan@example.org", "password": "not the password"})
        response = client.post(url, {"login": "ivan@example.org", "password": PASSWORD})
        assert response.status_code == 200
        assert TOO_MANY_LOGINS in response.content.decode()
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
class TestRecovery:
    def test_back_to_redis_once_it_answers_and_the_retry_time_has_passed(
        self, client, own_redis, clock, fallback_log
    ):
        url = reverse("verify:code", args=["guessing"])
        stored = own_redis.client(0)
        own_redis.stop()
        client.get(url)
        own_redis.start()
        client.get(url)  # Redis is left alone for a while after the failure
        assert stored.keys("alliance:*") == []
        clock.advance(RETRY_AFTER)
        assert client.get(url).status_code == 404
        assert stored.keys("alliance:*verify:*") != []
        assert len(fallback_log(logging.WARNING)) == 1
        [back] = fallback_log(logging.INFO)
        assert "answers again" in back.getMessage()
        # The limits counted meanwhile are dropped; Redis counts from here.
        assert caches["default"]._fallback.get("verify:127.0.0.1") is None

    def test_a_failed_retry_waits_again_and_does_not_log_again(
        self, own_redis, clock, fallback_log
    ):
        own_redis.stop()
        for _ in range(3):
            clock.advance(RETRY_AFTER)
            assert cache.add("key", 1) is True  # the fallback, each time a fresh retry fails
            cache.delete("key")
        own_redis.start()
        clock.advance(RETRY_AFTER)
        cache.set("key", "in redis")
        assert own_redis.client(0).keys("alliance:*key") != []
        assert len(fallback_log(logging.WARNING)) == 1


class TestAHungRedis:
    """A Redis that takes the connection and never answers: only timeouts end the wait."""

    def run_briefly(self, work) -> None:
        # Guards the suite from hanging if the socket timeouts were lost; not a measurement.
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), "a cache call hung on a Redis that does not answer"

    def test_tried_once_then_left_alone_until_the_retry_time(
        self, settings, monkeypatch, clock, fallback_log
    ):
        answers = []
        with SilentServer() as hung:
            backend = use_cache_at(settings, monkeypatch, hung.url(0))

            def twenty_calls():
                for n in range(20):
                    answers.append(backend.add(f"key{n}", n))

            self.run_briefly(twenty_calls)
            assert answers == [True] * 20  # answered from the fallback
            assert hung.connections() == 1
            clock.advance(RETRY_AFTER)
            self.run_briefly(lambda: answers.append(backend.get("key3")))
            assert answers[-1] == 3
            assert hung.connections() == 2
        [warning] = fallback_log()
        assert "Timeout" in warning.getMessage()

    def test_short_socket_timeouts_by_default(self):
        backend = FallbackRedisCache("redis://127.0.0.1:1/0", {})
        pool = backend._cache._get_connection_pool(write=True)
        assert pool.connection_kwargs["socket_connect_timeout"] <= 1
        assert pool.connection_kwargs["socket_timeout"] <= 1
        assert "RETRY_AFTER" not in pool.connection_kwargs


@pytest.mark.django_db
def test_readyz_is_503_naming_redis_while_the_cache_falls_back(client, own_redis):
    assert client.get(reverse("readyz")).json()["checks"]["redis"] == "ok"
    own_redis.stop()
    cache.set("still", "answers")  # the cache has fallen back …
    assert cache.get("still") == "answers"
    response = client.get(reverse("readyz"))  # … and readiness still tells the truth
    assert response.status_code == 503
    assert "redis" in response.json()["down"]
    assert response.json()["checks"]["redis"] == "down"


def test_production_uses_the_cache_with_the_fallback():
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.CACHES['default']))"
    )
    result = _run("alliance_portal.settings.production", PRODUCTION_ENV, probe)
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "alliance_portal.cache.FallbackRedisCache"
    assert default["LOCATION"] == PRODUCTION_ENV["REDIS_URL"]
    assert default["OPTIONS"]["socket_connect_timeout"] <= 1
    assert default["OPTIONS"]["socket_timeout"] <= 1
