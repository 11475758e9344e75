"""API tokens: made in the portal by member users (never by staff there) and in the admin by
staff for themselves or a service account; the secret is shown once and stored as its hash;
creation and revocation are audited."""

import datetime
import hashlib

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from api.models import ApiToken
from tests.api.conftest import bearer
from tests.factories import UserFactory
from tests.helpers import login_with_mfa

PAGE = "/portal/api-tokens/"


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def signatory_client(company_a) -> Client:
    client = Client()
    client.force_login(company_a.signatory)
    return client


@pytest.mark.django_db
class TestPortalTokens:
    def test_anonymous_is_sent_to_log_in(self):
        response = Client().get(PAGE)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_staff_and_people_without_a_company_are_refused(self, staff_user):
        for user in (staff_user, UserFactory()):
            client = Client()
            client.force_login(user)
            assert client.get(PAGE).status_code == 403
            refused = client.post(PAGE, {"name": "x", "scope": "write", "expires_on": in_days(5)})
            assert refused.status_code == 403
        assert not ApiToken.objects.exists()

    def test_secret_is_shown_once_and_stored_hashed(self, signatory_client, company_a):
        response = signatory_client.post(
            PAGE, {"name": "ERP import", "scope": "read", "expires_on": in_days(30)}
        )
        assert response.status_code == 201
        secret = response.context["secret"]
        assert secret.startswith("aat_") and len(secret) >= 4 + 43  # 256 bits, base64
        assert secret in response.content.decode()
        token = ApiToken.objects.get()
        assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(ApiToken.objects.values().get())
        assert token.user == company_a.signatory and token.scope == "read"
        listing = signatory_client.get(PAGE)
        assert secret not in listing.content.decode()
        assert "ERP import" in listing.content.decode() and token.prefix in listing.content.decode()
        event = AuditEvent.objects.get(action="api_token.created")
        assert event.actor == company_a.signatory and event.payload["name"] == "ERP import"
        assert secret not in str(event.payload)
        assert bearer(secret).get("/api/v1/licences").status_code == 200

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"name": "", "scope": "read", "expires_on": in_days(5)}, "name"),
            ({"name": "x", "scope": "admin", "expires_on": in_days(5)}, "scope"),
            ({"name": "x", "scope": "read", "expires_on": in_days(0)}, "expires_on"),
            ({"name": "x", "scope": "read", "expires_on": in_days(366)}, "expires_on"),
            ({"name": "x", "scope": "read", "expires_on": "soon"}, "expires_on"),
        ],
    )
    def test_bad_input_is_400_and_nothing_is_made(self, signatory_client, data, field):
        response = signatory_client.post(PAGE, data)
        assert response.status_code == 400
        assert response.context["form"].errors[field]
        assert not ApiToken.objects.exists()

    def test_revoke_own_token_but_not_someone_elses(self, signatory_client, company_a, company_b):
        signatory_client.post(PAGE, {"name": "mine", "scope": "read", "expires_on": in_days(5)})
        other = Client()
        other.force_login(company_b.signatory)
        other.post(PAGE, {"name": "theirs", "scope": "read", "expires_on": in_days(5)})
        theirs = ApiToken.objects.get(name="theirs")
        refused = signatory_client.post(reverse("api_token_revoke", args=[theirs.pk]))
        assert refused.status_code == 404
        assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
        mine = ApiToken.objects.get(name="mine")
        assert signatory_client.get(reverse("api_token_revoke", args=[mine.pk])).status_code == 405
        done = signatory_client.post(reverse("api_token_revoke", args=[mine.pk]))
        assert done.status_code == 302
        mine.refresh_from_db()
        assert mine.revoked_at is not None and mine.revoked_by == company_a.signatory
        assert AuditEvent.objects.filter(
            action="api_token.revoked", target_id=str(mine.pk)
        ).exists()
        assert "Revoked" in signatory_client.get(PAGE).content.decode()


@pytest.mark.django_db
class TestAdminTokens:
    @pytest.fixture
    def staff_client(self, staff_user):
        client = Client()
        login_with_mfa(client, staff_user)
        return client

    def add(self, client, user, **extra):
        return client.post(
            reverse("admin:api_apitoken_add"),
            {
                "user": user.pk,
                "name": "CRM sync",
                "scope": "read",
                "expires_at_0": in_days(60),
                "expires_at_1": "00:00:00",
                **extra,
            },
        )

    def test_for_a_service_account_the_secret_is_shown_once(self, staff_client, staff_user):
        robot = UserFactory(staff=True, email="crm@example.org")
        robot.set_unusable_password()
        robot.save()
        response = self.add(staff_client, robot)
        assert response.status_code == 200, response.content.decode()[:2000]
        secret = response.context["secret"]
        assert secret in response.content.decode()
        token = ApiToken.objects.get()
        assert token.user == robot and token.created_by == staff_user
        assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        change = staff_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
        assert change.status_code == 200 and secret not in change.content.decode()
        assert bearer(secret).get("/api/v1/members").status_code == 200

    def test_not_for_another_person(self, staff_client, company_a):
        response = self.add(staff_client, company_a.signatory)
        assert response.status_code == 200 and response.context["adminform"].form.errors["user"]
        assert not ApiToken.objects.exists()

    def test_no_longer_than_the_maximum(self, staff_client, staff_user):
        response = self.add(staff_client, staff_user, expires_at_0=in_days(400))
        assert response.context["adminform"].form.errors["expires_at"]
        assert not ApiToken.objects.exists()

    def test_revoke_action(self, staff_client, staff_user):
        self.add(staff_client, staff_user)
        token = ApiToken.objects.get()
        response = staff_client.post(
            reverse("admin:api_apitoken_changelist"),
            {"action": "revoke", "_selected_action": [token.pk]},
        )
        assert response.status_code == 302
        token.refresh_from_db()
        assert token.revoked_by == staff_user
