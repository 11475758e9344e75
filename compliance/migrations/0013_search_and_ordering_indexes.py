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
        ("compliance", "0012_member_calendar_tokens"),
        ("licensing", "0007_search_and_ordering_indexes"),
        ("members", "0010_search_and_ordering_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="compliancecertificate",
            index=models.Index(fields=["-created_at"], name="certificate_created_idx"),
        ),
        migrations.AddIndex(
            model_name="compliancecertificate",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "number", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="certificate_number_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="reviewcycle",
            index=models.Index(fields=["-opened_at"], name="cycle_opened_idx"),
        ),
    ]
