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


def replace_index_concurrently(
    app_label: str, model_name: str, *, remove: Any = None, add: Any = None
) -> Any:
    """An operation that drops the index ``remove`` and builds ``add`` on PostgreSQL without
    blocking the table's writes (``DROP``/``CREATE INDEX CONCURRENTLY``; the migration must be
    ``atomic = False``), ordinary index changes elsewhere. Either may be None."""
    from django.db import migrations

    def change(apps: Any, schema_editor: Any, drop: Any, build: Any) -> None:
        model = apps.get_model(app_label, model_name)
        concurrently = (
            {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
        )
        if drop is not None:
            schema_editor.remove_index(model, drop, **concurrently)
        if build is not None:
            schema_editor.add_index(model, build, **concurrently)

    state: list[Any] = []
    if remove is not None:
        state.append(migrations.RemoveIndex(model_name=model_name, name=remove.name))
    if add is not None:
        state.append(migrations.AddIndex(model_name=model_name, index=add))
    return migrations.SeparateDatabaseAndState(
        state_operations=state,
        database_operations=[
            migrations.RunPython(
                lambda apps, editor: change(apps, editor, remove, add),
                lambda apps, editor: change(apps, editor, add, remove),
            )
        ],
    )
