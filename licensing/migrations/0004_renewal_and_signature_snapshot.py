from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("licensing", "0003_term_years_bounds")]

    operations = [
        migrations.RemoveConstraint(
            model_name="licenceagreement", name="licence_one_live_per_member"
        ),
        migrations.AddConstraint(
            model_name="licenceagreement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["active", "suspended"])),
                fields=("member",),
                name="licence_one_in_force_per_member",
                violation_error_message="This member already has a licence in force.",
            ),
        ),
        migrations.AddConstraint(
            model_name="licenceagreement",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "issued")),
                fields=("member",),
                name="licence_one_awaiting_signature_per_member",
                violation_error_message="This member already has a licence to sign.",
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="member_name",
            field=models.CharField(default="", max_length=200, verbose_name="licensee as signed"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signature",
            name="member_registration",
            field=models.CharField(
                default="", max_length=100, verbose_name="registration as signed"
            ),
            preserve_default=False,
        ),
    ]
