"""Finding what needs screening, screening it, and raising hits.

A lower app never calls screening: these jobs find by themselves the companies and people
that are new or changed (by their fingerprint), the list versions not yet screened against,
and, periodically, everyone again. Each batch commits its subjects' hits and their
"screened" mark together, so an interrupted run resumes where it stopped and a repeated one
raises nothing twice (one hit per subject and entry, by a unique constraint). Names are read
from their stored analyses; rows without one (or made by another rigour) are analysed first.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from alliance_portal.audit import audit_record
from alliance_portal.locks import for_update
from members.models import OPEN_STATUSES, Application, KeyPerson, Member
from members.services import application_screening_hold

from .. import matching
from ..matching import COMPANY, PERSON, Match, Record
from ..models import Hit, HitStatus, ListEntry, ListVersion, Subject

# --- subjects --------------------------------------------------------------------------------


@dataclass
class SubjectSource:
    owner_key: str
    kind: str
    name: str
    data: dict[str, Any]
    member_id: int | None = None
    application_id: int | None = None
    key_person_id: int | None = None
    role: str = ""

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps(
            {
                "kind": self.kind,
                "names": sorted({" ".join(n.lower().split()) for n in self.data["names"]}),
                "birth_dates": sorted(self.data["birth_dates"]),
                "countries": sorted(self.data["countries"]),
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def _company_data(legal_name: str, former_names: str, country: str) -> dict[str, Any]:
    names = [legal_name, *former_names.splitlines()]
    return {
        "names": [n.strip() for n in names if n.strip()],
        "birth_dates": [],
        "countries": [country.lower()] if country else [],
    }


def subject_sources() -> list[SubjectSource]:
    """Every company and current key person screening covers: members, applications under
    way (submitted, in review, waiting for information), and their current people."""
    sources = []
    for pk, legal_name, former_names, country in Member.objects.values_list(
        "pk", "legal_name", "former_names", "country"
    ):
        sources.append(
            SubjectSource(
                f"member:{pk}",
                COMPANY,
                legal_name,
                _company_data(legal_name, former_names, country),
                member_id=pk,
            )
        )
    for pk, legal_name, former_names, country in Application.objects.filter(
        status__in=OPEN_STATUSES
    ).values_list("pk", "legal_name", "former_names", "country"):
        if legal_name.strip():
            sources.append(
                SubjectSource(
                    f"application:{pk}",
                    COMPANY,
                    legal_name,
                    _company_data(legal_name, former_names, country),
                    application_id=pk,
                )
            )
    people = KeyPerson.objects.filter(ended_at__isnull=True).filter(
        Q(member__isnull=False) | Q(application__status__in=OPEN_STATUSES)
    )
    for row in people.values_list(
        "pk",
        "member_id",
        "application_id",
        "role",
        "name",
        "name_latin",
        "date_of_birth",
        "nationality",
        "country_of_residence",
    ):
        pk, member_id, application_id, role, name, latin, born, nationality, residence = row
        owner = f"member:{member_id}" if member_id else f"application:{application_id}"
        sources.append(
            SubjectSource(
                owner,
                PERSON,
                name,
                {
                    "names": [n for n in (name, latin) if n and n.strip()],
                    "birth_dates": matching.iso_date(born),
                    "countries": sorted({c.lower() for c in (nationality, residence) if c}),
                },
                member_id=member_id if member_id else None,
                application_id=None if member_id else application_id,
                key_person_id=pk,
                role=role,
            )
        )
    return sources


def subjects_sync() -> dict[str, int]:
    """Make the subjects match the records: new or changed ones added (to be screened), ended
    ones retired, and one that came back (a change undone) active again."""
    sources = {(s.owner_key, s.kind, s.fingerprint): s for s in subject_sources()}
    existing = {
        (owner, kind, fp): (pk, retired)
        for pk, owner, kind, fp, retired in Subject.objects.values_list(
            "pk", "owner_key", "kind", "fingerprint", "retired_at"
        )
    }
    new = [
        Subject(
            kind=s.kind,
            owner_key=s.owner_key,
            member_id=s.member_id,
            application_id=s.application_id,
            key_person_id=s.key_person_id,
            role=s.role,
            name=s.name[:500],
            data=s.data,
            fingerprint=key[2],
            analysis=_analysed(s.kind, s.data["names"]),
            analysed_with=matching.ANALYSER,
        )
        for key, s in sources.items()
        if key not in existing
    ]
    retire = [
        pk for key, (pk, retired) in existing.items() if retired is None and key not in sources
    ]
    revive = [
        pk for key, (pk, retired) in existing.items() if retired is not None and key in sources
    ]
    with transaction.atomic():
        Subject.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        now = timezone.now()
        for start in range(0, len(retire), 2000):
            Subject.objects.filter(pk__in=retire[start : start + 2000]).update(retired_at=now)
        for start in range(0, len(revive), 2000):
            Subject.objects.filter(pk__in=revive[start : start + 2000]).update(
                retired_at=None, screened_at=None
            )
    return {"added": len(new), "retired": len(retire), "revived": len(revive)}


def _subject_records(rows: Iterable[tuple[int, str, list[Any], dict[str, Any]]]) -> list[Record]:
    """Subjects of (pk, kind, analysis, data) rows, from their stored analyses, with the names
    as given (what a remote engine is asked about)."""
    rows = list(rows)
    records = list(
        matching.stored_records(
            (pk, kind, analysis, data["birth_dates"], data["countries"])
            for pk, kind, analysis, data in rows
        )
    )
    for record, (_pk, _kind, _analysis, data) in zip(records, rows, strict=True):
        record.given_names = [n.strip() for n in data["names"] if n and n.strip()]
    return records


# --- stored analyses -------------------------------------------------------------------------

ANALYSE_BATCH = 2000


def _analysed(kind: str, names: list[str]) -> list[Any]:
    return matching.stored_form(matching.analyse(kind, names))


def _analyses_renew(
    rows: QuerySet[Any], names_field: str, names: Callable[[Any], list[str]]
) -> int:
    """Analyse again, and save, those of `rows` whose stored analysis is missing or was made by
    another analyser (rows older than stored analyses, or a rigour upgrade). Each batch is
    analysed before its short write; rows analysed twice by two jobs at once come out the same."""
    done = last_pk = 0
    while True:
        batch = list(
            rows.exclude(analysed_with=matching.ANALYSER)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "kind", names_field)[:ANALYSE_BATCH]
        )
        if not batch:
            return done
        last_pk = batch[-1].pk
        for row in batch:
            row.analysis = _analysed(row.kind, names(row))
            row.analysed_with = matching.ANALYSER
        rows.model.objects.bulk_update(batch, ["analysis", "analysed_with"])
        done += len(batch)


def entries_analyse(entries: QuerySet[ListEntry]) -> int:
    return _analyses_renew(entries, "names", lambda entry: entry.names)


def subjects_analyse(subjects: QuerySet[Subject]) -> int:
    return _analyses_renew(subjects, "data", lambda subject: subject.data["names"])


# --- entries ---------------------------------------------------------------------------------

ENTRY_FIELDS = ("pk", "kind", "analysis", "birth_dates", "countries")


def entries_index(entries: QuerySet[ListEntry]) -> matching.Index:
    """`entries` behind a blocking index, from their stored analyses (read in chunks)."""
    entries_analyse(entries)
    rows = entries.values_list(*ENTRY_FIELDS).iterator(chunk_size=5000)
    return matching.Index(matching.stored_records(rows))


def current_index() -> matching.Index:
    return entries_index(ListEntry.objects.filter(removed_in__isnull=True))


# --- engines ---------------------------------------------------------------------------------


class LocalEngine:
    name = "local"

    def __init__(self) -> None:
        self._index: matching.Index | None = None

    def match(self, subjects: Sequence[Record]) -> list[Match]:
        if self._index is None:
            self._index = current_index()
        return matching.match(subjects, self._index)


def engine() -> Any:
    if settings.SCREENING_ENGINE == "yente":
        from ..yente import YenteEngine

        return YenteEngine()
    return LocalEngine()


# --- hits ------------------------------------------------------------------------------------


def _false_positive_memory(fingerprints: Iterable[str]) -> set[tuple[str, str]]:
    rows = Hit.objects.filter(
        status=HitStatus.FALSE_POSITIVE, subject_fingerprint__in=set(fingerprints)
    ).values_list("subject_fingerprint", "entry_key")
    return set(rows)


def hits_raise(matches: Sequence[Match], *, engine_name: str) -> list[Hit]:
    """Record new hits for `matches` (subject and entry ids), in the caller's transaction:
    none twice for a subject and an entry, and none where a false positive was found for the
    same person or company data and the same entry data."""
    if not matches:
        return []
    subjects = Subject.objects.in_bulk({m.subject for m in matches})
    entries = ListEntry.objects.in_bulk({m.entry for m in matches})
    seen = set(
        Hit.objects.filter(subject__in=subjects.keys(), entry__in=entries.keys()).values_list(
            "subject_id", "entry_id"
        )
    )
    memory = _false_positive_memory(s.fingerprint for s in subjects.values())
    raised = []
    for m in matches:
        subject, entry = subjects[m.subject], entries[m.entry]
        if (subject.pk, entry.pk) in seen or (subject.fingerprint, entry.key) in memory:
            continue
        seen.add((subject.pk, entry.pk))
        raised.append(
            Hit(
                subject=subject,
                entry=entry,
                subject_fingerprint=subject.fingerprint,
                entry_key=entry.key,
                score=m.score,
                features=m.features,
                engine=engine_name,
            )
        )
    # The applications these hits hold, locked before any write or event (docs/architecture.md,
    # "Lock order"): the holds below then wait on nothing.
    held_ids = sorted({h.subject.application_id for h in raised if h.subject.application_id})
    list(for_update(Application.objects.filter(pk__in=held_ids).order_by("pk")).values_list("pk"))
    # Filtered above; a hit raised meanwhile by another job fails this batch, which runs again.
    created = Hit.objects.bulk_create(raised)
    for application_id in held_ids:
        application_screening_hold(
            actor=None,
            application=Application(pk=application_id),
            held=True,
            reason="screening match",
        )
    for hit in created:
        audit_record(
            actor=None,
            action="screening.hit_raised",
            target=hit,
            payload={"entry": hit.entry.entity_id, "score": hit.score},
        )
    return created


def _screen_batch(subjects: list[Subject], eng: Any) -> int:
    matches = eng.match(_subject_records((s.pk, s.kind, s.analysis, s.data) for s in subjects))
    with transaction.atomic():
        # Another worker may have taken some of them: screen only the ones still pending.
        ids = list(
            for_update(
                Subject.objects.filter(pk__in=[s.pk for s in subjects], screened_at__isnull=True),
                skip_locked=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        mine = set(ids)
        created = hits_raise([m for m in matches if m.subject in mine], engine_name=eng.name)
        Subject.objects.filter(pk__in=ids).update(screened_at=timezone.now())
    return len(created)


def subjects_screen_pending(
    *, batch_size: int | None = None, time_budget: float | None = None
) -> dict[str, int]:
    """The beat job: screen every subject not screened yet (new, changed, or put back by the
    full re-screen) against the whole list, batch by batch, within a time budget (the next
    run resumes)."""
    synced = subjects_sync()
    subjects_analyse(Subject.objects.filter(screened_at__isnull=True, retired_at__isnull=True))
    batch_size = batch_size or settings.SCREENING_BATCH_SIZE
    budget = settings.SCREENING_TIME_BUDGET_SECONDS if time_budget is None else time_budget
    started = time.monotonic()
    eng = engine()
    screened = raised = 0
    last_pk = 0
    while time.monotonic() - started < budget:
        batch = list(
            Subject.objects.filter(
                screened_at__isnull=True, retired_at__isnull=True, pk__gt=last_pk
            ).order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        raised += _screen_batch(batch, eng)
        screened += len(batch)
    return {**synced, "screened": screened, "hits": raised}


def version_screen(version: ListVersion, *, batch_size: int | None = None) -> int:
    """Screen everyone against what `version` added or changed only (always locally: the
    changes are few, and the version's rows are here)."""
    subjects_sync()
    index = entries_index(ListEntry.objects.filter(first_version=version))
    raised = 0
    if len(index):
        subjects_analyse(Subject.objects.filter(retired_at__isnull=True))
        batch_size = batch_size or settings.SCREENING_BATCH_SIZE * 10
        last_pk = 0
        while True:
            rows = list(
                Subject.objects.filter(retired_at__isnull=True, pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "kind", "analysis", "data")[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1][0]
            matches = matching.match(_subject_records(rows), index)
            with transaction.atomic():
                raised += len(hits_raise(matches, engine_name="local"))
    with transaction.atomic():
        ListVersion.objects.filter(pk=version.pk, screened_at__isnull=True).update(
            screened_at=timezone.now()
        )
    return raised


def versions_screen_pending() -> dict[str, int]:
    """The beat job for imports whose screening did not finish."""
    versions = list(ListVersion.objects.filter(screened_at__isnull=True).order_by("pk"))
    raised = sum(version_screen(v) for v in versions)
    return {"versions": len(versions), "hits": raised}


def subjects_rescreen_all() -> dict[str, int]:
    """The periodic full re-screen: every active subject is pending again; the pending job
    screens them in batches (resumable) and raises only what is new."""
    with transaction.atomic():
        count = Subject.objects.filter(retired_at__isnull=True).update(screened_at=None)
        audit_record(actor=None, action="screening.rescreen_started", payload={"subjects": count})
    return {"subjects": count, **subjects_screen_pending()}
