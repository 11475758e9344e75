from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Staff triage reports; who made a report is for decision makers only (a custom
            # permission an administrator may also give a named person).
            "Customer policy staff": [
                ("trust", "view_report"),
                ("trust", "change_report"),
            ],
            "Decision makers": [
                ("trust", "view_report"),
                ("trust", "view_reporter_identity"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("trust", "0001_reports")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
