"""The staff-side groups and the model permissions they start with.

Later apps add their own permissions to these groups in their own migrations.
"""

from django.db import migrations

from alliance_portal.migration_helpers import grant_permissions

GROUP_PERMISSIONS = {
    # Accounts, groups and permissions are managed by superusers only: staff who could edit
    # users could make themselves decision makers and get round the four-eyes rule.
    "Customer policy staff": [
        ("members", "view_user"),
        ("auth", "view_group"),
        ("alliance_portal", "view_auditevent"),
    ],
    "Decision makers": [
        ("members", "view_user"),
        ("alliance_portal", "view_auditevent"),
    ],
    "Auditors": [],
}


def create_groups(apps, schema_editor):
    grant_permissions(apps, GROUP_PERMISSIONS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("alliance_portal", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
