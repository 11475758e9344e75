"""The audit log's actors are searched by their account's e-mail and by the recorded address from
its start: a B-tree prefix index replaces the trigram index of ``actor_label``, which read
millions of entries for the letters every address shares and cost every audited write a GIN
insert. The index of ``(target_type, target_id)`` goes too: ``audit_target_id_idx`` finds a
record's events as well (an id is shared by a few types at most). Built and dropped
concurrently on PostgreSQL: the log keeps taking writes."""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import alliance_portal.search_indexes
from alliance_portal.migration_helpers import replace_index_concurrently


def _upper(field):
    return django.db.models.functions.text.Upper(
        django.db.models.functions.comparison.Cast(field, output_field=models.TextField())
    )


TRIGRAM = alliance_portal.search_indexes.TrigramIndex(
    django.contrib.postgres.indexes.OpClass(_upper("actor_label"), name="gin_trgm_ops"),
    name="audit_actor_label_trgm",
)
TARGET = models.Index(fields=["target_type", "target_id"], name="audit_target_idx")
PREFIX = alliance_portal.search_indexes.PrefixIndex(
    django.contrib.postgres.indexes.OpClass(_upper("actor_label"), name="text_pattern_ops"),
    name="audit_actor_label_prefix",
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("alliance_portal", "0014_audit_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        replace_index_concurrently("alliance_portal", "auditevent", remove=TRIGRAM, add=PREFIX),
        replace_index_concurrently("alliance_portal", "auditevent", remove=TARGET),
    ]
