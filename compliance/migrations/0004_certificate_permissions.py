from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions


def forwards(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "Customer policy staff": [
                ("compliance", "view_compliancecertificate"),
                ("compliance", "view_certificatebatch"),
                ("compliance", "view_auditorgrant"),
                ("compliance", "add_auditorgrant"),
                ("compliance", "change_auditorgrant"),
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_certificates_grants_jobs")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
