from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    # Staff register the portal's webhook receivers, follow deliveries and send them again.
    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("api", "view_webhookendpoint"),
                ("api", "add_webhookendpoint"),
                ("api", "change_webhookendpoint"),
                ("api", "view_webhookdelivery"),
                ("api", "resend_webhookdelivery"),
                ("api", "view_webhookattempt"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0003_webhooks"),
        ("members", "0004_requirements_and_permissions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
