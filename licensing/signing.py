"""What the signatory agrees to when signing: the consents, in the language they read them."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .agreement import sha256_text


def consents() -> list[tuple[str, str]]:
    return [
        (
            "read",
            _("I have read the licence agreement and the ALROSA ALLIANCE Guidelines in full."),
        ),
        ("authorised", _("I am authorised to sign this agreement on behalf of the company.")),
        (
            "binding",
            _("I agree that signing here binds the company as a handwritten signature would."),
        ),
    ]


def consent_wording() -> str:
    return "\n".join(f"[x] {text}" for _key, text in consents())


def consent_language(wording: str) -> str:
    """The language the statements were accepted in: the signer's at signing, and so the
    language of the signed agreement's evidence page."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if consent_wording() == wording:
                return code
    return settings.LANGUAGE_CODE


def consent_sha256() -> str:
    return sha256_text(consent_wording())
