from django.db import migrations, models


def backfill(apps, schema_editor):
    """A licence suspended before this field existed: the time of its last suspension event."""
    LicenceAgreement = apps.get_model("licensing", "LicenceAgreement")
    AuditEvent = apps.get_model("alliance_portal", "AuditEvent")
    for licence in LicenceAgreement.objects.filter(status="suspended", suspended_at__isnull=True):
        event = (
            AuditEvent.objects.filter(
                action="licence.suspend",
                target_type="licensing.licenceagreement",
                target_id=str(licence.pk),
            )
            .order_by("-seq")
            .first()
        )
        if event is not None:
            licence.suspended_at = event.created_at
            licence.save(update_fields=["suspended_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("alliance_portal", "0001_initial"),
        ("licensing", "0008_criterion_evidence_validity"),
    ]

    operations = [
        migrations.AddField(
            model_name="licenceagreement",
            name="suspended_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="suspended at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
