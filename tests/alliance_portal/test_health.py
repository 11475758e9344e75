import pytest
from django.test import override_settings
from django.urls import reverse

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.django_db
def test_healthz_answers_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["down"] == []


@pytest.mark.django_db
@override_settings(REDIS_URL=UNREACHABLE_REDIS)
def test_readyz_is_503_naming_redis_when_the_configured_redis_is_unreachable(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "down"},
        "down": ["redis"],
    }


@pytest.mark.django_db
@override_settings(REDIS_URL="", CELERY_BROKER_URL=UNREACHABLE_REDIS)
def test_readyz_checks_the_celery_broker_too(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_is_ok_with_the_real_redis(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_readyz_refuses_writes(client):
    assert client.post(reverse("readyz")).status_code == 405
