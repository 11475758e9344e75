"""Indexes for the admin's searches (trigram on PostgreSQL, plain expression indexes elsewhere) and
default orderings."""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import alliance_portal.search_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0012_search_and_ordering_indexes"),
        ("alliance_portal", "0012_search_and_ordering_indexes"),
        ("licensing", "0006_guidelines_mappings_and_acknowledgements"),
        ("members", "0010_search_and_ordering_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="licenceagreement",
            index=models.Index(fields=["-created_at", "-id"], name="licence_created_idx"),
        ),
        migrations.AddIndex(
            model_name="licenceagreement",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "number", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="licence_number_trgm",
            ),
        ),
    ]
