"""The licence text: a template with a fixed set of placeholders, filled with the member's data.

``string.Template`` rather than the Django template language: staff write these texts, and
the only thing a text may do is name one of the values below.
"""

import hashlib
import re
from string import Template
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import LicenceAgreement

PLACEHOLDERS = {
    "member_name": "the member's legal name",
    "member_registration": "its registration number",
    "member_country": "its country",
    "member_address": "its registered address",
    "kp_registration": "its Kimberley Process registration",
    "contract_reference": "its long-term contract reference",
    "licence_number": "the licence number (AA-YYYY-NNNN)",
    "term_years": "the term in years",
    "guidelines": "the Guidelines edition",
}


def check_template_text(body: str) -> None:
    template = Template(body)
    if not template.is_valid():
        raise ValidationError(_("The text has a misplaced “$”: write “$$” for a dollar sign."))
    unknown = set(template.get_identifiers()) - set(PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )


def agreement_text(licence: "LicenceAgreement") -> str:
    """The exact text the signatory reads and signs, with the member's current data."""
    member = licence.member
    with translation.override("en"):  # the English text is the binding one
        country = str(cast(Any, member.country).name)
    values = {
        "member_name": member.legal_name,
        "member_registration": member.registration_number,
        "member_country": country,
        "member_address": " ".join(member.address.split()),
        "kp_registration": member.kp_registration,
        "contract_reference": member.contract_reference,
        "licence_number": licence.number or "",
        "term_years": str(licence.term_years),
        "guidelines": f"{licence.guidelines.title_en} ({licence.guidelines.edition})",
    }
    return Template(licence.template.body).substitute(values).strip() + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# A clause of the signed text about its electronic signature: "7.2 ELECTRONIC SIGNATURE. …"
# in the current terms, "7.2 This Agreement is concluded electronically. …" in the first.
_CLAUSE = re.compile(r"^(\d+(?:\.\d+)+)\s+(.*\bsign\w*.*)$", re.MULTILINE)


def e_signature_clause(text: str) -> tuple[str, str] | None:
    """The number and text of the signed agreement's clause by which the parties agree to its
    electronic signature, for the evidence page to cite; None when the text has none."""
    for match in _CLAUSE.finditer(text):
        clause = match.group(2)
        if "electronic" in clause.lower() and "sign" in clause.lower():
            return match.group(1), clause.strip()
    return None
