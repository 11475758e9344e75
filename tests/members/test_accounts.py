import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from members.models import User
from tests.factories import PASSWORD, UserFactory, auditor
from tests.helpers import login_with_mfa

LOGIN_FAILED_MESSAGE = "The email address and/or password you specified are not correct."


@pytest.mark.django_db
class TestEmailIsTheLogin:
    def test_login_ignores_case(self):
        user = UserFactory(email="Olga.Petrova@Example.org")
        assert authenticate(email="olga.petrova@example.ORG", password=PASSWORD) == user
        assert authenticate(username="OLGA.PETROVA@example.org", password=PASSWORD) == user

    def test_same_address_in_other_case_is_refused(self):
        UserFactory(email="olga@example.org")
        with pytest.raises(IntegrityError), transaction.atomic():
            User(email="OLGA@example.org").save()  # the database itself refuses it
        with pytest.raises(ValidationError, match="already exists"):
            User.objects.create_user("OLGA@example.org", PASSWORD)
        assert User.objects.count() == 1

    def test_signup_with_existing_address_in_other_case_creates_nobody(self, client):
        UserFactory(email="olga@example.org")
        response = client.post(
            reverse("account_signup"),
            {
                "email": "OLGA@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "personal_data_consent": "on",
            },
        )
        assert response.status_code in (200, 302)
        assert User.objects.filter(email__iexact="olga@example.org").count() == 1


class TestPasswordRules:
    """NIST SP 800-63B: length floor, common passwords refused, no composition rules."""

    @pytest.mark.parametrize("password", ["elevenchars", "short"])
    def test_shorter_than_twelve_is_refused(self, password):
        with pytest.raises(ValidationError, match="at least 12 characters"):
            validate_password(password)

    @pytest.mark.parametrize("password", ["password1234", "qwertyuiop123"])
    def test_common_passwords_are_refused(self, password):
        with pytest.raises(ValidationError, match="too common"):
            validate_password(password)

    @pytest.mark.parametrize(
        "password",
        [
            "allofthemlowercaseletters",  # no digits, capitals or symbols required
            "rough diamonds from the arctic circle shine bright in every season " * 2,
            "доверие покупателей к бриллиантам",  # non-ASCII passphrases are fine
        ],
    )
    def test_long_passphrases_are_accepted(self, password):
        validate_password(password)  # raises ValidationError when refused


@pytest.mark.django_db
class TestLoginPage:
    def test_correct_password_signs_in(self, client):
        UserFactory(email="ivan@example.org")
        response = client.post(
            reverse("account_login"), {"login": "IVAN@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard")

    def test_wrong_password_and_unknown_address_get_the_same_generic_message(self, client):
        UserFactory(email="ivan@example.org")
        url = reverse("account_login")
        wrong = client.post(url, {"login": "ivan@example.org", "password": "not the password"})
        unknown = client.post(url, {"login": "nobody@example.org", "password": "whatever-it-is"})
        for response in (wrong, unknown):
            assert response.status_code == 200
            assert LOGIN_FAILED_MESSAGE in response.content.decode()
            assert "_auth_user_id" not in client.session

    def test_repeated_failures_are_rate_limited(self, client):
        UserFactory(email="ivan@example.org")
        url = reverse("account_login")
        for _ in range(5):
            client.post(url, {"login": "ivan@example.org", "password": "not the password"})
        # Even the right password is refused while the limit holds.
        response = client.post(url, {"login": "ivan@example.org", "password": PASSWORD})
        assert "Too many failed login attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_admin_login_goes_through_the_portal_login(self, client):
        response = client.get(reverse("admin:login"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
class TestMFAForStaffAndAuditors:
    def test_staff_without_mfa_cannot_open_the_admin(self, client):
        staff = UserFactory(staff=True, mfa=False)
        client.force_login(staff)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_staff_with_mfa_opens_the_admin(self, client):
        login_with_mfa(client, UserFactory(staff=True))
        assert client.get(reverse("admin:index")).status_code == 200

    def test_enrolled_staff_who_signed_in_without_the_code_is_asked_for_it(self, client):
        client.force_login(UserFactory(staff=True))  # a session with no second factor used
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))

    def test_the_real_login_asks_staff_for_the_code_then_opens_the_admin(self, client):
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

        staff = UserFactory(staff=True, email="sofia@example.org")
        login = client.post(
            reverse("account_login"), {"login": "sofia@example.org", "password": PASSWORD}
        )
        assert login["Location"] == reverse("mfa_authenticate")
        totp = TOTP(Authenticator.objects.get(user=staff, type="totp"))
        import time

        from allauth.mfa.utils import decrypt

        secret = decrypt(totp.instance.data["secret"])
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200

    def test_auditor_without_mfa_is_sent_to_enrol_for_the_auditor_area(self, client):
        client.force_login(UserFactory(groups=[AUDITORS_GROUP]))
        response = client.get("/auditor/")
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_enrolled_auditor_passes_the_check(self, client):
        login_with_mfa(client, auditor())
        assert client.get("/auditor/").status_code == 200

    def test_member_users_are_not_forced_to_enrol(self, client, user):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 200

    @override_settings(ALLIANCE_REQUIRE_MFA=False)
    def test_the_local_demo_can_switch_the_rule_off(self, client):
        client.force_login(UserFactory(staff=True, mfa=False))
        assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
class TestRoleGroups:
    def test_groups_exist_with_their_permissions(self):
        staff = Group.objects.get(name=STAFF_GROUP)
        assert staff.permissions.filter(codename="view_auditevent").exists()
        assert staff.permissions.filter(codename="view_user").exists()
        assert not staff.permissions.filter(codename="change_user").exists()
        decision = Group.objects.get(name=DECISION_MAKERS_GROUP)
        assert decision.permissions.filter(codename="view_auditevent").exists()
        assert not decision.permissions.filter(codename="change_user").exists()
        assert Group.objects.filter(name=AUDITORS_GROUP).exists()

    def test_users_cannot_be_deleted_from_the_admin(self, client):
        superuser = UserFactory(staff=True, is_superuser=True)
        target = UserFactory()
        login_with_mfa(client, superuser)
        url = reverse("admin:members_user_delete", args=[target.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert User.objects.filter(pk=target.pk).exists()


@pytest.mark.django_db
class TestStaffCannotGrantThemselvesAccess:
    def test_staff_can_view_users_but_not_change_them(self, client):
        staff = UserFactory(staff=True)
        login_with_mfa(client, staff)
        change = reverse("admin:members_user_change", args=[staff.pk])
        assert client.get(change).status_code == 200  # read-only view
        decision_makers = Group.objects.get(name=DECISION_MAKERS_GROUP)
        response = client.post(
            change,
            {"email": staff.email, "is_superuser": "on", "groups": [decision_makers.pk]},
        )
        assert response.status_code == 403
        staff.refresh_from_db()
        assert not staff.is_superuser
        assert not staff.groups.filter(name=DECISION_MAKERS_GROUP).exists()
        password = reverse("admin:auth_user_password_change", args=[staff.pk])
        assert client.get(password).status_code in (403, 404)

    def test_superuser_access_changes_are_audited(self, client):
        from alliance_portal.models import AuditEvent

        superuser = UserFactory(staff=True, is_superuser=True)
        target = UserFactory(email="new.decider@example.org")
        login_with_mfa(client, superuser)
        decision_makers = Group.objects.get(name=DECISION_MAKERS_GROUP)
        response = client.post(
            reverse("admin:members_user_change", args=[target.pk]),
            {
                "email": target.email,
                "full_name": target.full_name,
                "language": "en",
                "is_active": "on",
                "is_staff": "on",
                "groups": [decision_makers.pk],
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        event = AuditEvent.objects.get(action="user.access_changed")
        assert event.actor == superuser
        assert event.payload["groups"] == {"from": [], "to": [DECISION_MAKERS_GROUP]}
        assert event.payload["is_staff"] == {"from": False, "to": True}

    def test_reprovisioning_with_other_roles_is_audited(self):
        from alliance_portal.models import AuditEvent
        from members.services import user_provision

        user_provision(actor=None, email="x@example.org", password=PASSWORD)
        user_provision(
            actor=None,
            email="x@example.org",
            password=PASSWORD,
            is_staff=True,
            groups=(g for g in [STAFF_GROUP]),
        )
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
        assert actions == ["user.provisioned", "user.roles_changed"]
        change = AuditEvent.objects.get(action="user.roles_changed").payload
        assert change == {
            "from": {"is_staff": False, "groups": []},
            "to": {"is_staff": True, "groups": [STAFF_GROUP]},
        }


@pytest.mark.django_db
def test_a_nul_character_in_a_request_is_a_400(client):
    assert client.get("/admin/", {"q": "a\x00b"}).status_code == 400
    assert client.post(reverse("account_login"), {"login": "a\x00@example.org"}).status_code == 400
