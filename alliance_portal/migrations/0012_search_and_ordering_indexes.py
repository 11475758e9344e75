"""Indexes for the admin's searches (trigram on PostgreSQL, plain expression indexes elsewhere) and
default orderings."""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import alliance_portal.search_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0011_outbox_webhook_calls"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # pg_trgm for the trigram indexes below and in the other apps (nothing elsewhere).
        TrigramExtension(),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action", "-id"], name="audit_action_id_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["target_type", "-id"], name="audit_type_id_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor", "-id"], name="audit_actor_id_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["target_id"], name="audit_target_id_idx"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "actor_label", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="audit_actor_label_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "target_label", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="audit_target_label_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["sha256"], name="document_sha256_idx"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["-uploaded_at"], name="document_uploaded_idx"),
        ),
        migrations.AddIndex(
            model_name="document",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "original_name", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="document_name_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["-created_at", "-id"], name="outbox_created_idx"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["template"], name="outbox_template_idx"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "recipient", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="outbox_recipient_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "subject", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="outbox_subject_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=alliance_portal.search_indexes.TrigramIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.comparison.Cast(
                            "target_label", output_field=models.TextField()
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="outbox_target_label_trgm",
            ),
        ),
    ]
