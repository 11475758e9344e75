from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from alliance_portal.audit import audit_record

from .models import User


def user_provision(
    *,
    actor: User | None,
    email: str,
    password: str,
    full_name: str = "",
    is_staff: bool = False,
    groups: Iterable[str] = (),
) -> User:
    """Create or bring up to date a user whose e-mail is known to be theirs (staff-made).

    Idempotent: running it again with the same arguments changes nothing but the password hash.
    """
    email = User.objects.normalize_email(email)
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User(email=email)
        user.full_name = full_name
        user.is_staff = is_staff
        user.is_active = True
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.set(Group.objects.filter(name__in=list(groups)))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if created:
            audit_record(
                actor=actor,
                action="user.provisioned",
                target=user,
                payload={"is_staff": is_staff, "groups": sorted(groups)},
            )
    return user
