"""E-mail addresses as they enter the portal: one canonical form, and no look-alikes.

``staff@example.com`` followed by a zero-width space, or with a Cyrillic "a" (U+0430) in the
domain, is shown exactly like ``staff@example.com`` but is a different string: without this
module it registers as a new account. Every address a person types (sign-up, login,
invitations, the admin) goes through :func:`email_address_clean` or at least
:func:`email_address_normalize`.

Look-alike detection uses Unicode's confusables table (UTS #39) through the
``confusable-homoglyphs`` package.
"""

import unicodedata
from typing import Any

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

LOOKALIKE_MESSAGE = _(
    "This e-mail address contains letters from another alphabet that look like Latin ones, "
    "so it could be mistaken for a different address. Please use another address."
)


def email_address_normalize(value: str) -> str:
    """NFKC (full-width and other compatibility forms become plain letters), without the
    invisible format characters (Unicode category Cf: zero-width space and joiners, BOM,
    soft hyphen, direction marks), trimmed."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(char for char in text if unicodedata.category(char) != "Cf").strip()


def email_address_skeleton(value: str) -> str:
    """The address with each non-ASCII character that looks like an ASCII one replaced by it,
    lower-cased: ``st\u0430ff@ex\u0430mple.com`` (Cyrillic a) becomes ``staff@example.com``."""
    swaps: dict[str, str] = {}
    for found in confusables.is_confusable(value, greedy=True) or []:
        char = found["character"]
        if char.isascii():
            continue
        for glyph in found["homoglyphs"]:
            if glyph["c"].isascii():
                swaps[char] = glyph["c"]
                break
    return "".join(swaps.get(char, char) for char in value).lower()


def email_address_is_lookalike(value: str, *, exclude_pk: Any = None) -> bool:
    """Whether a (normalised) address imitates another with look-alike letters.

    Refused: a part (the local part or a domain label) that mixes scripts with look-alike
    letters, whoever owns the imitated address; and an address whose skeleton is an existing
    account's address. An address in one non-Latin script (``иван@почта.рф``) is accepted.
    """
    if value.isascii():
        return False
    skeleton = email_address_skeleton(value)
    if skeleton == value.lower():
        return False  # nothing in it looks like anything else
    local, _at, domain = value.rpartition("@")
    if any(confusables.is_dangerous(part) for part in (local, *domain.split("."))):
        return True
    users = get_user_model()._default_manager.filter(email__iexact=skeleton)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


def email_address_clean(value: str, *, exclude_pk: Any = None) -> str:
    """The normalised address; ValidationError if it is not an address or is a look-alike."""
    email = email_address_normalize(value)
    validate_email(email)
    if email_address_is_lookalike(email, exclude_pk=exclude_pk):
        raise ValidationError(LOOKALIKE_MESSAGE, code="lookalike")
    return email
