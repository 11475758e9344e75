"""Indexes that admin searches and changelists hit at 100,000 members.

The admin's search runs ``UPPER(column::text) LIKE UPPER('%term%')`` on PostgreSQL (Django's
``icontains``). A trigram GIN index on exactly that expression answers it (and prefix
searches) without scanning the table. GIN and ``pg_trgm`` exist only on PostgreSQL, so the
migrations add these indexes with :class:`AddIndexOnPostgres`: the model state is the same on
every database, the index is built only where it can be.
"""

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.migrations.operations import AddIndex, RemoveIndex
from django.db.models.functions import Cast, Upper


def trigram_index(field: str, *, name: str) -> GinIndex:
    """A trigram index for the admin's case-insensitive search on ``field``."""
    return GinIndex(
        OpClass(Upper(Cast(field, output_field=models.TextField())), name="gin_trgm_ops"),
        name=name,
    )


def _on_postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexOnPostgres(AddIndex):
    """``AddIndex`` whose index is built on PostgreSQL only (the state changes everywhere)."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if _on_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if _on_postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, *args)

    def describe(self) -> str:
        return super().describe() + " (PostgreSQL only)"


class RemoveIndexOnPostgres(RemoveIndex):
    """The reverse of :class:`AddIndexOnPostgres`, for a later migration that drops one."""

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if _on_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if _on_postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, *args)
