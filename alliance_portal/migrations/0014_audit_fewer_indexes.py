"""Every audited write costs less at the database: fewer indexes, a cheaper trigger.

The indexes dropped were covered by others: ``action``, ``target_type`` and ``actor`` each lead
a compound index (audit_action_id_idx, audit_type_id_idx and audit_target_idx,
audit_actor_id_idx), and nothing looks a row up by its ``hash``. Each one was paid twice per
event, by the insert and by the chainer's update.

On PostgreSQL the append-only rule moves into the trigger's WHEN condition, which the
database evaluates itself: the chainer's one allowed update no longer calls a PL/pgSQL
function for every row it links. What is refused stays the same.
"""

from django.conf import settings
from django.db import migrations, models

# The name Django gave the foreign key's own index (migration 0002).
ACTOR_INDEX = "alliance_portal_auditevent_actor_id_0bfd9c5e"

# The one change allowed: the chainer filling in the chain columns of an unchained row.
_CHAINING = """
    OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
    AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
    AND (NEW.id, NEW.created_at, NEW.actor_id, NEW.actor_label, NEW.action,
         NEW.target_type, NEW.target_id, NEW.target_label, NEW.payload, NEW.ip)
        IS NOT DISTINCT FROM
        (OLD.id, OLD.created_at, OLD.actor_id, OLD.actor_label, OLD.action,
         OLD.target_type, OLD.target_id, OLD.target_label, OLD.payload, OLD.ip)
"""

REFUSE_IN_WHEN = f"""
CREATE OR REPLACE FUNCTION alliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER alliance_audit_append_only ON alliance_portal_auditevent;

CREATE TRIGGER alliance_audit_append_only
    BEFORE UPDATE ON alliance_portal_auditevent
    FOR EACH ROW WHEN (NOT ({_CHAINING}))
    EXECUTE FUNCTION alliance_audit_append_only();

CREATE TRIGGER alliance_audit_no_delete
    BEFORE DELETE ON alliance_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION alliance_audit_append_only();
"""

REFUSE_IN_FUNCTION = f"""
DROP TRIGGER alliance_audit_no_delete ON alliance_portal_auditevent;
DROP TRIGGER alliance_audit_append_only ON alliance_portal_auditevent;

CREATE OR REPLACE FUNCTION alliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND {_CHAINING}
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alliance_audit_append_only
    BEFORE UPDATE OR DELETE ON alliance_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION alliance_audit_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0013_document_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(max_length=100, verbose_name="action"),
        ),
        # Only the index goes: AlterField would also drop and re-add the foreign key, whose
        # check of every row would hold up audited writes on a long log.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {ACTOR_INDEX}",
                    f"CREATE INDEX {ACTOR_INDEX} ON alliance_portal_auditevent (actor_id)",
                ),
            ],
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="hash"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="target_type",
            field=models.CharField(blank=True, max_length=100, verbose_name="target type"),
        ),
        migrations.RunPython(_on_postgresql(REFUSE_IN_WHEN), _on_postgresql(REFUSE_IN_FUNCTION)),
    ]
