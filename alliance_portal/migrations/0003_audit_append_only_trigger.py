"""On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE on the audit log at the database itself.

SQLite (the embedded demo) has no such guard; the hash chain still reveals tampering there.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION alliance_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alliance_audit_append_only
    BEFORE UPDATE OR DELETE ON alliance_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION alliance_audit_append_only();

CREATE TRIGGER alliance_audit_no_truncate
    BEFORE TRUNCATE ON alliance_portal_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION alliance_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS alliance_audit_no_truncate ON alliance_portal_auditevent;
DROP TRIGGER IF EXISTS alliance_audit_append_only ON alliance_portal_auditevent;
DROP FUNCTION IF EXISTS alliance_audit_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("alliance_portal", "0002_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
