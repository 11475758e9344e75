"""Single sign-on for staff through the company's OpenID Connect provider (allauth's
``openid_connect`` provider, configured by ``ALLIANCE_OIDC_*`` settings; off when unset).

Group membership comes from a claim: the values in ``ALLIANCE_OIDC_GROUP_MAP`` become the
mapped Django groups at every sign-in (added when asserted, removed when no longer), and a user
is staff exactly while one of the mapped staff groups is asserted. Someone with no mapped
group gets no staff access. Groups the map does not name are left alone.

The portal's two-factor rule for staff still applies, unless the provider asserts that it
checked a second factor itself (``amr`` in the ID token names ``mfa`` or ``otp``, RFC 8176):
that is recorded as this session's second factor.
"""

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import user_logged_in
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import audit_record
from .roles import DECISION_MAKERS_GROUP, STAFF_GROUP

PROVIDER = "openid_connect"
# Groups that open the admin: mapping a claim value to one of them makes the user staff.
STAFF_GROUPS = frozenset({STAFF_GROUP, DECISION_MAKERS_GROUP})
MFA_AMR = frozenset({"mfa", "otp"})


def is_staff_sso(sociallogin: SocialLogin) -> bool:
    """A login through the OpenID Connect provider (its accounts carry the app's own
    provider id, so the provider's class is what tells)."""
    return bool(sociallogin.account.get_provider().id == PROVIDER)


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """The ID token's claims over the userinfo's (the ID token is the signed assertion)."""
    data = sociallogin.account.extra_data or {}
    merged: dict[str, Any] = {}
    for part in ("userinfo", "id_token"):
        if isinstance(data.get(part), dict):
            merged.update(data[part])
    return merged


def _values(claim: Any) -> set[str]:
    if isinstance(claim, str):
        return {claim}
    if isinstance(claim, list | tuple):
        return {str(value) for value in claim}
    return set()


def sso_groups_apply(
    *, user: Any, claims: dict[str, Any], request: HttpRequest | None = None
) -> set[str]:
    """Make the user's mapped groups and staff flag what the provider says. Returns the
    mapped groups the user now has."""
    mapping: dict[str, str] = settings.ALLIANCE_OIDC_GROUP_MAP
    asserted = _values(claims.get(settings.ALLIANCE_OIDC_GROUPS_CLAIM))
    wanted = {mapping[value] for value in asserted if value in mapping}
    managed = set(mapping.values())
    with transaction.atomic():
        current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
        user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        user.groups.add(*Group.objects.filter(name__in=wanted - current))
        staff = bool(wanted & STAFF_GROUPS)
        if not user.is_superuser and user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        if current != wanted:
            audit_record(
                actor=user,
                action="sso.groups_applied",
                target=user,
                payload={"added": sorted(wanted - current), "removed": sorted(current - wanted)},
                request=request,
            )
    return wanted


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # A returning user: their groups follow the provider at every sign-in.
        if sociallogin.is_existing and is_staff_sso(sociallogin):
            sso_groups_apply(user=sociallogin.user, claims=claims_of(sociallogin), request=request)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        if is_staff_sso(sociallogin):
            sso_groups_apply(user=user, claims=claims_of(sociallogin), request=request)
        return user


@receiver(user_logged_in, dispatch_uid="sso_second_factor")
def _second_factor_at_the_provider(
    sender: Any, request: HttpRequest, user: Any, sociallogin: SocialLogin | None = None, **_: Any
) -> None:
    if sociallogin is None or not is_staff_sso(sociallogin):
        return
    amr = _values(claims_of(sociallogin).get("amr"))
    if amr & MFA_AMR:
        record_authentication(request, user, "mfa", type="idp", amr=sorted(amr))
