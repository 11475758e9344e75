"""The personal-data processing consent: the text a person agrees to, in their language, and
its hash (the version of the text they agreed to)."""

import hashlib
from datetime import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _


def consent_text() -> str:
    return _(
        "I consent to ALROSA (PJSC ALROSA and its Customer Policy Department) processing my "
        "personal data given in the ALROSA ALLIANCE portal — my name, e-mail address, role in "
        "my company, and the records of what I do in the portal (times, IP addresses, "
        "browser) — to run the ALROSA ALLIANCE programme: to admit my company, manage its "
        "licence, review its compliance and keep the records the programme requires. I may "
        "withdraw this consent in the portal at any time; records the programme must keep "
        "(signatures, decisions, the audit log) are kept as the law allows."
    )


def consent_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_status_label(given_at: datetime | None, withdrawn_at: datetime | None) -> str:
    """How staff read a person's latest consent: given (when), withdrawn (when), or never."""
    if given_at is None:
        return _("not given")
    if withdrawn_at is not None:
        return _("withdrawn on %(date)s") % {"date": date_format(withdrawn_at, "SHORT_DATE_FORMAT")}
    return _("given on %(date)s") % {"date": date_format(given_at, "SHORT_DATE_FORMAT")}
