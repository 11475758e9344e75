"""Importing a list file as a new version of its list, with what it added, changed and removed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.locks import lock
from members.models import User

from .. import matching
from ..lists import ParsedEntry, read_file
from ..models import ListEntry, ListFormat, ListSource, ListVersion
from ..permissions import can_import_lists

BATCH = 2000


def _entry_row(
    source: ListSource, version: ListVersion, parsed: ParsedEntry, analyses: dict[str, list[Any]]
) -> ListEntry:
    analysis = analyses.get(parsed.entity_id)
    if analysis is None:
        # Not foreseen before the transaction: another import changed the list meanwhile.
        analysis = _analysis(parsed)
    return ListEntry(
        source=source,
        entity_id=parsed.entity_id,
        schema=parsed.schema,
        kind=parsed.kind,
        caption=parsed.caption,
        names=parsed.names,
        birth_dates=parsed.birth_dates,
        countries=parsed.countries,
        programme=parsed.programme,
        data_hash=parsed.data_hash,
        analysis=analysis,
        analysed_with=matching.ANALYSER,
        first_version=version,
    )


def _analysis(parsed: ParsedEntry) -> list[Any]:
    return matching.stored_form(matching.analyse(parsed.kind, parsed.names))


def _analyse_new(source_slug: str, parsed: list[ParsedEntry]) -> dict[str, list[Any]]:
    """The analyses of the entries the import will open (new or changed), made before its
    transaction so that the list's lock is not held while names are analysed."""
    current = dict(
        ListEntry.objects.filter(source__slug=source_slug, removed_in__isnull=True).values_list(
            "entity_id", "data_hash"
        )
    )
    return {p.entity_id: _analysis(p) for p in parsed if current.get(p.entity_id) != p.data_hash}


def list_version_write(
    *,
    actor: User | None,
    source_slug: str,
    title: str = "",
    file_name: str,
    file_sha256: str,
    fmt: str,
    parsed: list[ParsedEntry],
    progress: Callable[[int], None] | None = None,
) -> ListVersion:
    """Record `parsed` as the list's new version in one transaction: entries no longer in it or
    changed are closed, new and changed ones opened."""
    analyses = _analyse_new(source_slug, parsed)
    with transaction.atomic():
        source, _created = ListSource.objects.get_or_create(
            slug=source_slug, defaults={"title": title or source_slug}
        )
        # One import of a list at a time: the diff is against the version before.
        source = lock(ListSource, source.pk)
        current = {
            entity_id: (pk, data_hash)
            for entity_id, pk, data_hash in ListEntry.objects.filter(
                source=source, removed_in__isnull=True
            ).values_list("entity_id", "pk", "data_hash")
        }
        incoming = {p.entity_id: p for p in parsed}
        added = [p for eid, p in incoming.items() if eid not in current]
        changed = [
            p for eid, p in incoming.items() if eid in current and current[eid][1] != p.data_hash
        ]
        closed = [current[p.entity_id][0] for p in changed] + [
            pk for eid, (pk, _h) in current.items() if eid not in incoming
        ]
        version = ListVersion.objects.create(
            source=source,
            file_name=file_name[:255],
            file_sha256=file_sha256,
            format=fmt,
            imported_by=actor,
            entries=len(incoming),
            added=len(added),
            changed=len(changed),
            removed=len(closed) - len(changed),
        )
        for start in range(0, len(closed), BATCH):
            ListEntry.objects.filter(pk__in=closed[start : start + BATCH]).update(
                removed_in=version
            )
        opened = added + changed
        for start in range(0, len(opened), BATCH):
            ListEntry.objects.bulk_create(
                [_entry_row(source, version, p, analyses) for p in opened[start : start + BATCH]]
            )
            if progress is not None:
                progress(min(start + BATCH, len(opened)))
        if not opened:
            # Nothing new to screen against: the version is done.
            version.screened_at = version.imported_at
            version.save(update_fields=["screened_at"])
        audit_record(
            actor=actor,
            action="screening.list_imported",
            target=version,
            payload={
                "list": source.slug,
                "file": version.file_name,
                "sha256": file_sha256,
                "entries": version.entries,
                "added": version.added,
                "changed": version.changed,
                "removed": version.removed,
            },
        )
    return version


def list_import(
    *,
    actor: User | None,
    source_slug: str,
    path: Path,
    fmt: str,
    title: str = "",
    progress: Callable[[int], None] | None = None,
) -> ListVersion:
    """Import a list file (the operator's command; ``actor`` None when run from the shell)."""
    if actor is not None and not can_import_lists(actor):
        raise PermissionDenied(_("Only customer policy staff may import screening lists."))
    if fmt not in ListFormat.values:
        raise ValidationError(_("Unknown list format."))
    if not source_slug.strip():
        raise ValidationError(_("Name the list."))
    sha256, parsed = read_file(path, fmt, progress)
    return list_version_write(
        actor=actor,
        source_slug=source_slug.strip(),
        title=title,
        file_name=path.name,
        file_sha256=sha256,
        fmt=fmt,
        parsed=parsed,
    )
