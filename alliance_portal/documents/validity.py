"""A document's own dates: when it was issued and the last day it is valid.

``expires_on`` is the last day the document counts ("valid until", inclusive): a document
issued on 15 January with twelve months' validity is valid until 14 January the next year.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def default_expiry(issued_on: date, months: int) -> date:
    """The last valid day of a document issued on ``issued_on`` and valid ``months`` months."""
    return issued_on + relativedelta(months=months) - timedelta(days=1)


def validity_dates_check(
    *,
    issued_on: date | None,
    expires_on: date | None,
    expires: bool,
    validity_months: int | None,
    required: bool = True,
    today: date | None = None,
) -> tuple[date | None, date | None]:
    """The dates to keep for an upload, or ValidationError keyed by field.

    For a requirement that expires the issue date is required (the upload forms), and the
    expiry too unless the requirement has a default validity (then it is the issue date plus
    that validity). ``required=False`` (the services, called by code that may not know the
    dates) only checks what is given. An expiry before the issue date, an issue date in the
    future or an upload that has already expired are refused.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if issued_on is not None and issued_on > today:
        errors["issued_on"] = _("The issue date cannot be in the future.")
    if expires_on is None and issued_on is not None and expires and validity_months:
        expires_on = default_expiry(issued_on, validity_months)
    if expires and required:
        if issued_on is None:
            errors.setdefault("issued_on", _("Give the date the document was issued."))
        if expires_on is None and not validity_months:
            errors["expires_on"] = _("Give the last day the document is valid.")
    if issued_on is not None and expires_on is not None and expires_on < issued_on:
        errors["expires_on"] = _("The document cannot expire before it was issued.")
    elif expires_on is not None and expires_on < today:
        errors["expires_on"] = _("This document has already expired: upload a valid one.")
    if errors:
        raise ValidationError(errors)
    return issued_on, expires_on
