"""Indexes for the admin's searches (trigram on PostgreSQL, plain expression indexes elsewhere) and
default orderings."""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models

import alliance_portal.search_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0012_search_and_ordering_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("members", "0009_key_people_and_former_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["-created_at"], name="application_created_idx"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "legal_name", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="application_legal_name_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="application",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "registration_number", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="application_registration_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["legal_name", "id"], name="member_name_idx"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "legal_name", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="member_legal_name_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "registration_number", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="member_registration_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "kp_registration", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="member_kp_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="member",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "contract_reference", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="member_contract_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["email"], name="user_email_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "email", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="user_email_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "full_name", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="user_full_name_trgm",
            ),
        ),
    ]
