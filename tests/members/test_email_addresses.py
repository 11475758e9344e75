"""Look-alike addresses: an invisible character or a letter from another alphabet must not
make a second account (or invitation) that shows as someone else's address."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from members.models import Invitation, Role, User
from tests.factories import PASSWORD, UserFactory, member_with

LOOKALIKE = "letters from another alphabet that look like Latin ones"

# Each shows as staff@example.com.
INVISIBLE_OR_COMPATIBILITY = [
    pytest.param("staff@example.com\u200b", id="zero-width-space-after"),
    pytest.param("staff@exam\u200dple.com", id="zero-width-joiner-inside"),
    pytest.param("staff@exam\u00adple.com", id="soft-hyphen-inside"),
    pytest.param("staff@\uff45xample.com", id="full-width-e"),
]
OTHER_ALPHABET = [
    pytest.param("staff@ex\u0430mple.com", id="cyrillic-a-in-domain"),
    pytest.param("staff@\u0435xample.com", id="cyrillic-e-in-domain"),
    pytest.param("staff@examp\u04cfe.com", id="cyrillic-palochka-for-l"),
    pytest.param("staff@example.\u0441om", id="cyrillic-es-in-tld"),
]


def _sign_up(client, email):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "personal_data_consent": "on",
        },
    )


@pytest.mark.django_db
class TestSignUp:
    @pytest.mark.parametrize("email", INVISIBLE_OR_COMPATIBILITY + OTHER_ALPHABET)
    def test_a_lookalike_of_an_existing_account_creates_nobody(self, client, email):
        staff = UserFactory(email="staff@example.com", staff=True)
        response = _sign_up(client, email)
        assert response.status_code in (200, 302)
        assert list(User.objects.all()) == [staff]

    @pytest.mark.parametrize("email", OTHER_ALPHABET)
    def test_the_other_alphabet_is_named_in_the_refusal(self, client, email):
        UserFactory(email="staff@example.com")
        response = _sign_up(client, email)
        assert response.status_code == 200
        assert LOOKALIKE in response.content.decode()

    @pytest.mark.parametrize("email", OTHER_ALPHABET)
    def test_a_mixed_alphabet_address_is_refused_even_before_the_real_one_exists(
        self, client, email
    ):
        _sign_up(client, email)
        assert not User.objects.exists()

    def test_a_whole_word_in_another_alphabet_imitating_an_account_is_refused(self, client):
        UserFactory(email="ivan@scope.com")
        _sign_up(client, "ivan@\u0455\u0441\u043e\u0440\u0435.com")  # "scope", all Cyrillic
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        "email", ["new.person@example.org", "ivan@\u043f\u043e\u0447\u0442\u0430.\u0440\u0444"]
    )
    def test_an_ordinary_new_address_still_signs_up(self, client, email):
        UserFactory(email="staff@example.com")
        response = _sign_up(client, email)
        assert response.status_code == 302
        assert User.objects.filter(email=email).exists()

    def test_an_invisible_character_is_removed_from_a_new_address(self, client):
        _sign_up(client, "new.person@example.org\u200b")
        assert list(User.objects.values_list("email", flat=True)) == ["new.person@example.org"]


@pytest.mark.django_db
def test_login_with_an_invisible_character_is_the_same_login(client):
    UserFactory(email="ivan@example.org")
    response = client.post(
        reverse("account_login"), {"login": "ivan@example.org\u200b", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


@pytest.mark.django_db
class TestInvitations:
    def test_an_invitation_to_a_lookalike_is_refused(self, client):
        UserFactory(email="staff@example.com")
        member, signatory = member_with(Role.SIGNATORY)
        client.force_login(signatory)
        response = client.post(
            reverse("portal:team_invite", args=[member.pk]),
            {"email": "staff@ex\u0430mple.com", "role": Role.VIEWER},
        )
        assert response.status_code == 400
        assert LOOKALIKE in response.content.decode()
        assert not Invitation.objects.exists()

    def test_an_invitation_is_stored_without_invisible_characters(
        self, client, django_capture_on_commit_callbacks
    ):
        member, signatory = member_with(Role.SIGNATORY)
        client.force_login(signatory)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("portal:team_invite", args=[member.pk]),
                {"email": "olga@example.org\u200b", "role": Role.VIEWER},
            )
        assert response.status_code == 302
        assert Invitation.objects.get().email == "olga@example.org"


@pytest.mark.django_db
class TestUserModel:
    def test_users_made_elsewhere_are_normalised_and_lookalikes_refused(self):
        UserFactory(email="staff@example.com")
        assert User.objects.create_user("olga@\uff45xample.org\u200b", PASSWORD).email == (
            "olga@example.org"
        )
        with pytest.raises(ValidationError, match=LOOKALIKE):
            User.objects.create_user("staff@ex\u0430mple.com", PASSWORD)
        assert User.objects.count() == 2
