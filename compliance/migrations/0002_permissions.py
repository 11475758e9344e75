from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("compliance", "view_reviewcycle"),
                ("compliance", "add_reviewcycle"),
                ("compliance", "change_reviewcycle"),
                ("compliance", "view_answer"),
                ("compliance", "change_answer"),
                ("compliance", "view_submission"),
                ("compliance", "view_finding"),
                ("compliance", "add_finding"),
                ("compliance", "change_finding"),
                ("compliance", "view_forfeiturecase"),
                ("compliance", "add_forfeiturecase"),
                ("compliance", "change_forfeiturecase"),
            ],
            # Deciding a case suspends or forfeits the licence, through the licensing services.
            "Decision makers": [
                ("compliance", "view_forfeiturecase"),
                ("compliance", "change_forfeiturecase"),
                ("compliance", "decide_forfeiturecase"),
                ("compliance", "view_reviewcycle"),
                ("compliance", "view_finding"),
                ("licensing", "change_licenceagreement"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0001_initial"),
        ("licensing", "0002_guidelines_second_edition"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
