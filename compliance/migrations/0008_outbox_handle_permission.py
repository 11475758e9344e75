from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    """Staff handle undelivered messages (send again, acknowledge)."""
    grant_permissions(
        apps, {"Customer policy staff": [("alliance_portal", "handle_outboxmessage")]}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0007_submission_authenticated_at"),
        ("alliance_portal", "0006_outbox_handle_permission"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
