"""Findings by due date, in order: the default ordering and the calendars' date ranges (the
staff calendar joined every finding to its cycle to list the first hundred). Built
concurrently on PostgreSQL."""

from django.db import migrations, models

from alliance_portal.migration_helpers import replace_index_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("compliance", "0014_document_validity"),
    ]

    operations = [
        replace_index_concurrently(
            "compliance",
            "finding",
            add=models.Index(fields=["due_on", "id"], name="finding_due_idx"),
        ),
    ]
