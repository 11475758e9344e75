"""Tokens at the door: missing, unknown, expired, revoked or of a user who may no longer use
the API is 401; the rate limit is per token; errors are problem details."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from api import services
from api.models import ApiToken
from tests.api.conftest import bearer, make_token
from tests.api.test_records import is_problem

API = "/api/v1"


@pytest.mark.django_db
class TestAuthentication:
    def test_no_token_is_401_with_a_challenge(self, company_a):
        response = Client().get(f"{API}/licences")
        assert is_problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "header", ["Bearer aat_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x" * 50]
    )
    def test_unknown_or_malformed_token_is_401(self, company_a, header):
        response = Client(headers={"Authorization": header}).get(f"{API}/licences")
        assert is_problem(response, 401)

    def test_expired_token_is_401_and_a_fresh_one_works(self, company_a):
        secret = make_token(company_a.signatory)
        client = bearer(secret)
        url = f"{API}/licences/{company_a.licence.pk}"
        assert client.get(url).status_code == 200
        ApiToken.objects.update(
            created_at=timezone.now() - datetime.timedelta(days=2),
            expires_at=timezone.now() - datetime.timedelta(seconds=1),
        )
        assert is_problem(client.get(url), 401)

    def test_revoked_token_is_401(self, company_a):
        secret = make_token(company_a.signatory)
        client = bearer(secret)
        url = f"{API}/licences/{company_a.licence.pk}"
        assert client.get(url).status_code == 200
        services.token_revoke(actor=company_a.signatory, token=ApiToken.objects.get())
        assert is_problem(client.get(url), 401)

    def test_deactivated_user_is_401(self, company_a):
        client = bearer(make_token(company_a.signatory))
        company_a.signatory.is_active = False
        company_a.signatory.save()
        assert is_problem(client.get(f"{API}/licences"), 401)

    def test_use_stamps_last_used_at_once_a_minute(self, company_a, django_assert_num_queries):
        client = bearer(make_token(company_a.signatory))
        assert ApiToken.objects.get().last_used_at is None
        client.get(f"{API}/licences")
        first = ApiToken.objects.get().last_used_at
        assert first is not None
        client.get(f"{API}/licences")
        assert ApiToken.objects.get().last_used_at == first

    def test_a_session_does_not_open_the_api(self, company_a, client):
        client.force_login(company_a.signatory)
        assert is_problem(client.get(f"{API}/licences"), 401)


@pytest.mark.django_db
class TestRateLimit:
    def test_past_the_limit_429_with_retry_after_per_token(self, settings, company_a):
        settings.ALLIANCE_API_RATE_LIMIT = 3
        client = bearer(make_token(company_a.signatory))
        other = bearer(make_token(company_a.signatory))
        for _ in range(3):
            assert client.get(f"{API}/licences").status_code == 200
        refused = client.get(f"{API}/licences")
        assert is_problem(refused, 429)
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert other.get(f"{API}/licences").status_code == 200

    def test_public_endpoints_are_limited_per_address(self, settings, db):
        settings.ALLIANCE_API_PUBLIC_RATE_LIMIT = 2
        client = Client()
        assert client.get(f"{API}/register").status_code == 200
        assert client.get(f"{API}/register").status_code == 200
        assert is_problem(client.get(f"{API}/register"), 429)


@pytest.mark.django_db
class TestProblems:
    def test_wrong_method_is_405_problem_with_allow(self, member_a, company_a):
        response = member_a.delete(f"{API}/licences/{company_a.licence.pk}")
        assert is_problem(response, 405)
        assert "GET" in response["Allow"]

    def test_unknown_endpoint_is_404_problem(self, member_a):
        assert is_problem(member_a.get(f"{API}/nothing-here"), 404)
        assert is_problem(Client().get("/api/v2/licences"), 404)

    def test_malformed_json_is_400(self, staff):
        response = staff.post(f"{API}/cycles", "{not json", content_type="application/json")
        assert is_problem(response, 400)
