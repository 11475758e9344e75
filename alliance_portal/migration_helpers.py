"""Helpers for data migrations. Kept stable: migrations import them by name."""

from typing import Any

from django.contrib.auth.management import create_permissions


def grant_permissions(apps: Any, grants: dict[str, list[tuple[str, str]]]) -> None:
    """Give groups (created if missing) model permissions, as (app_label, codename) pairs."""
    # Permissions are normally created after all migrations have run; we need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, permissions in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, codename in permissions:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
