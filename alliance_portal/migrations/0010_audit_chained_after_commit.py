"""Audit rows are appended unchained and linked by the chainer after commit.

On PostgreSQL the append-only trigger now lets one UPDATE through: the chainer setting the
chain columns of a row that has none, every other column unchanged. DELETE and TRUNCATE stay
refused.
"""

from django.conf import settings
from django.db import migrations, models

CHAINING_ALLOWED = """
CREATE OR REPLACE FUNCTION alliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
        AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND (NEW.id, NEW.created_at, NEW.actor_id, NEW.actor_label, NEW.action,
             NEW.target_type, NEW.target_id, NEW.target_label, NEW.payload, NEW.ip)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.created_at, OLD.actor_id, OLD.actor_label, OLD.action,
             OLD.target_type, OLD.target_id, OLD.target_label, OLD.payload, OLD.ip)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION alliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0009_document_validity_dates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "ordering": ["-id"],
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, unique=True, verbose_name="hash"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True, max_length=64, null=True, verbose_name="previous hash"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                blank=True, editable=False, null=True, unique=True, verbose_name="sequence"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="audit_unchained_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("hash__isnull", True), ("prev_hash__isnull", True), ("seq__isnull", True)
                    ),
                    models.Q(
                        ("hash__isnull", False),
                        ("prev_hash__isnull", False),
                        ("seq__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="audit_chain_columns_together",
            ),
        ),
        migrations.RunPython(_on_postgresql(CHAINING_ALLOWED), _on_postgresql(APPEND_ONLY)),
    ]
