"""The e-mail address rules on their own: normal form, skeleton and look-alikes."""

import pytest
from django.core.exceptions import ValidationError

from alliance_portal.email_addresses import (
    email_address_clean,
    email_address_is_lookalike,
    email_address_normalize,
    email_address_skeleton,
)
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("staff@example.com\u200b", "staff@example.com"),
        ("\ufeffstaff@exam\u200c\u200dple.com", "staff@example.com"),
        ("staff@exam\u00adple.com", "staff@example.com"),
        ("staff@\u2068example.com\u2069", "staff@example.com"),
        ("\uff53\uff54\uff41\uff46\uff46@example.com", "staff@example.com"),
        (" staff@example.com\u00a0", "staff@example.com"),
        ("ivan@\u043f\u043e\u0447\u0442\u0430.\u0440\u0444", "ivan@почта.рф"),
    ],
)
def test_normal_form(typed, normal):
    assert email_address_normalize(typed) == normal


def test_the_skeleton_replaces_lookalike_letters_with_latin_ones():
    assert email_address_skeleton("St\u0430ff@Ex\u0430mple.com") == "staff@example.com"
    assert email_address_skeleton("staff@example.com") == "staff@example.com"


@pytest.mark.django_db
class TestLookalikes:
    def test_ascii_and_single_alphabet_addresses_are_not_lookalikes(self):
        UserFactory(email="ivan@example.org")
        assert not email_address_is_lookalike("ivan@example.org")
        assert not email_address_is_lookalike("ivan@\u043f\u043e\u0447\u0442\u0430.\u0440\u0444")
        assert not email_address_is_lookalike("jurgen@m\u00fcnchen.de")

    def test_mixed_alphabets_in_one_part_are_lookalikes(self):
        assert email_address_is_lookalike("staff@ex\u0430mple.com")

    def test_a_whole_label_imitating_an_existing_account_is_a_lookalike(self):
        owner = UserFactory(email="ivan@scope.com")
        address = "ivan@\u0455\u0441\u043e\u0440\u0435.com"
        assert not email_address_is_lookalike(address, exclude_pk=owner.pk)
        assert email_address_is_lookalike(address)

    def test_clean_normalises_validates_and_refuses(self):
        assert email_address_clean("olga@example.org\u200b") == "olga@example.org"
        with pytest.raises(ValidationError):
            email_address_clean("not an address\u200b")
        with pytest.raises(ValidationError) as refused:
            email_address_clean("staff@ex\u0430mple.com")
        assert refused.value.code == "lookalike"
