"""What the signatory agrees to when signing: the consents, in the language they read them."""

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


def consent_sha256() -> str:
    return sha256_text(consent_wording())
