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
            {"email": "OLGA@example.org", "password1": PASSWORD, "password2": PASSWORD},
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
        assert response["Location"] == reverse("portal:dashboard")

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
        client.force_login(UserFactory(staff=True))
        assert client.get(reverse("admin:index")).status_code == 200

    def test_auditor_without_mfa_is_sent_to_enrol_for_the_auditor_area(self, client):
        client.force_login(UserFactory(groups=[AUDITORS_GROUP]))
        response = client.get("/auditor/")
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")

    def test_enrolled_auditor_passes_the_check(self, client):
        client.force_login(auditor())
        # The auditor area itself arrives later; the MFA check no longer stands in the way.
        assert client.get("/auditor/").status_code == 404

    def test_member_users_are_not_forced_to_enrol(self, client, user):
        client.force_login(user)
        assert client.get(reverse("portal:dashboard")).status_code == 200

    @override_settings(ALLIANCE_REQUIRE_MFA=False)
    def test_the_local_demo_can_switch_the_rule_off(self, client):
        client.force_login(UserFactory(staff=True, mfa=False))
        assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
class TestRoleGroups:
    def test_groups_exist_with_their_permissions(self):
        staff = Group.objects.get(name=STAFF_GROUP)
        assert staff.permissions.filter(codename="view_auditevent").exists()
        assert staff.permissions.filter(codename="change_user").exists()
        decision = Group.objects.get(name=DECISION_MAKERS_GROUP)
        assert decision.permissions.filter(codename="view_auditevent").exists()
        assert not decision.permissions.filter(codename="change_user").exists()
        assert Group.objects.filter(name=AUDITORS_GROUP).exists()

    def test_users_cannot_be_deleted_from_the_admin(self, client):
        superuser = UserFactory(staff=True, is_superuser=True)
        target = UserFactory()
        client.force_login(superuser)
        url = reverse("admin:members_user_delete", args=[target.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert User.objects.filter(pk=target.pk).exists()
