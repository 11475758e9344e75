"""Personal-data consent: given (at sign-up, or before starting an application) and withdrawn
by the person themself, each an audited record with its time, IP address and browser."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, client_ip
from alliance_portal.locks import for_update, lock
from members.consent import consent_sha256, consent_text
from members.models import DataConsent, User


def _user_agent(request: HttpRequest | None) -> str:
    return (request.headers.get("User-Agent", "") if request else "")[:500]


def consent_give(*, actor: User, request: HttpRequest | None = None) -> DataConsent:
    """Record the actor's consent to the text as shown now, in their language. Refused when
    a consent is already in force (a second click changes nothing)."""
    text = consent_text()
    with transaction.atomic():
        lock(User, actor.pk)  # one at a time per person
        if DataConsent.objects.filter(user=actor, withdrawn_at__isnull=True).exists():
            raise ValidationError(_("Your consent is already recorded."), code="in_force")
        try:
            with transaction.atomic():
                consent = DataConsent.objects.create(
                    user=actor,
                    wording=text,
                    text_sha256=consent_sha256(text),
                    language=translation.get_language() or "en",
                    ip=client_ip(request),
                    user_agent=_user_agent(request),
                )
        except IntegrityError:
            raise ValidationError(_("Your consent is already recorded."), code="in_force") from None
        audit_record(
            actor=actor,
            action="consent.given",
            target=consent,
            payload={"text_sha256": consent.text_sha256, "language": consent.language},
            request=request,
        )
    return consent


def consent_withdraw(*, actor: User, request: HttpRequest | None = None) -> DataConsent:
    """Withdraw the actor's consent in force: the record stays, with the withdrawal's time,
    IP address and browser; staff see it."""
    with transaction.atomic():
        consent = (
            for_update(DataConsent.objects.filter(user=actor, withdrawn_at__isnull=True))
            .order_by("-given_at")
            .first()
        )
        if consent is None:
            raise ValidationError(_("You have no consent in force to withdraw."), code="none")
        consent.withdrawn_at = timezone.now()
        consent.withdrawal_ip = client_ip(request)
        consent.withdrawal_user_agent = _user_agent(request)
        consent.save(update_fields=["withdrawn_at", "withdrawal_ip", "withdrawal_user_agent"])
        audit_record(
            actor=actor,
            action="consent.withdrawn",
            target=consent,
            payload={"text_sha256": consent.text_sha256},
            request=request,
        )
    return consent
