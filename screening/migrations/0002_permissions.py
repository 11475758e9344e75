from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    """Staff triage hits and read the lists; a decision maker confirms a proposed match."""
    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("screening", "view_hit"),
                ("screening", "change_hit"),
                ("screening", "view_listversion"),
                ("screening", "add_listversion"),
                ("screening", "view_listentry"),
            ],
            "Decision makers": [
                ("screening", "view_hit"),
                ("screening", "change_hit"),
                ("screening", "confirm_hit"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
