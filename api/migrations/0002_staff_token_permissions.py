from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    # Staff make tokens for themselves and for service accounts, and revoke any token.
    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("api", "view_apitoken"),
                ("api", "add_apitoken"),
                ("api", "change_apitoken"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_tokens"),
        ("members", "0004_requirements_and_permissions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
