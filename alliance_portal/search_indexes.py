"""Indexes that admin searches and changelists hit at 100,000 members.

The admin's search runs ``UPPER(column::text) LIKE UPPER('%term%')`` on PostgreSQL (Django's
``icontains``). A trigram GIN index on exactly that expression answers it (and prefix
searches) without scanning the table. GIN and ``pg_trgm`` exist only on PostgreSQL; elsewhere
(the embedded SQLite) :class:`TrigramIndex` builds an ordinary index of the same expression,
so the model state and the migrations are the same on every database and SQLite's table
rebuilds (any later field change) recreate an index SQLite can build.
"""

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Cast, Upper


class _PlainElsewhere:
    """On a database other than PostgreSQL: an ordinary index of the same expressions, without
    their operator classes."""

    expressions: Any
    name: str

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)  # type: ignore[misc]
        plain = [
            e.get_source_expressions()[0] if isinstance(e, OpClass) else e for e in self.expressions
        ]
        return models.Index(*plain, name=self.name).create_sql(model, schema_editor, **kwargs)


class TrigramIndex(_PlainElsewhere, GinIndex):
    """A GIN trigram index on PostgreSQL, a plain expression index elsewhere."""


class PrefixIndex(_PlainElsewhere, models.Index):
    """A B-tree of the upper-cased text with ``text_pattern_ops`` on PostgreSQL, which answers
    exact and prefix searches whatever the database's collation; a plain one elsewhere."""


def trigram_index(field: str, *, name: str) -> TrigramIndex:
    """A trigram index for the admin's case-insensitive search on ``field``."""
    return TrigramIndex(
        OpClass(Upper(Cast(field, output_field=models.TextField())), name="gin_trgm_ops"),
        name=name,
    )


def prefix_index(field: str, *, name: str) -> PrefixIndex:
    """An index for the admin's case-insensitive exact (``=field``) and prefix (``^field``)
    searches on ``field``: far cheaper to keep up than a trigram index, on a column written
    often."""
    return PrefixIndex(
        OpClass(Upper(Cast(field, output_field=models.TextField())), name="text_pattern_ops"),
        name=name,
    )
