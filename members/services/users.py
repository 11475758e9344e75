from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction

from alliance_portal.audit import audit_record
from members.models import User


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

    Idempotent: running it again with the same arguments changes nothing but the password
    hash. Creation and every change of staff status or groups are audited.
    """
    email = User.objects.normalize_email(email)
    group_names = sorted(set(groups))
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User(email=email)
        before: dict[str, Any] = (
            {}
            if created
            else {
                "is_staff": user.is_staff,
                "groups": sorted(user.groups.values_list("name", flat=True)),
            }
        )
        user.full_name = full_name
        user.is_staff = is_staff
        user.is_active = True
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        user.groups.set(Group.objects.filter(name__in=group_names))
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        after = {"is_staff": is_staff, "groups": group_names}
        if created or before != after:
            audit_record(
                actor=actor,
                action="user.provisioned" if created else "user.roles_changed",
                target=user,
                payload=after if created else {"from": before, "to": after},
            )
    return user


def user_access_snapshot(user: User) -> dict[str, Any]:
    return {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def user_access_changed(
    *, actor: User, user: User, before: dict[str, Any], request: Any = None
) -> None:
    """Record what an administrator changed in someone's access (status, groups, permissions)."""
    after = user_access_snapshot(user)
    changed = {
        key: {"from": before.get(key), "to": after[key]}
        for key in after
        if before.get(key) != after[key]
    }
    if changed:
        audit_record(
            actor=actor, action="user.access_changed", target=user, payload=changed, request=request
        )
