"""A yente-compatible matching service as the engine (``SCREENING_ENGINE=yente``).

yente (OpenSanctions' matching API, on Elasticsearch/OpenSearch) answers
``POST /match/<dataset>`` with ``{"queries": {key: {"schema", "properties"}}}`` by
``{"responses": {key: {"status", "results": [{"id", "caption", "schema", "properties",
"datasets", "score", "match", "features"}], "total", "query"}}, "limit"}``. The entities it
returns are recorded as entries of a list named after the service's dataset, so a hit is
explained by the same entry data as a local one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from .lists import entry_from_ftm
from .matching import PERSON, Match, Record
from .models import ListEntry, ListFormat, ListSource, ListVersion

# Queries per request: yente accepts batches; small ones keep a request well within timeouts.
BATCH = 20


class EngineUnavailable(Exception):
    """The matching service did not answer usably: the subjects stay pending for the next run."""


def _query(record: Record) -> dict[str, Any]:
    names = list(record.given_names)
    properties: dict[str, list[str]] = {"name": names}
    if record.kind == PERSON:
        if record.birth_dates:
            properties["birthDate"] = list(record.birth_dates)
        if record.countries:
            properties["nationality"] = sorted(record.countries)
        return {"schema": "Person", "properties": properties}
    if record.countries:
        properties["jurisdiction"] = sorted(record.countries)
    return {"schema": "Company", "properties": properties}


class YenteEngine:
    name = "yente"

    def __init__(self) -> None:
        base = settings.SCREENING_YENTE_URL.rstrip("/")
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise EngineUnavailable("SCREENING_YENTE_URL must be an http(s) address")
        dataset = urllib.parse.quote(settings.SCREENING_YENTE_DATASET, safe="")
        params = urllib.parse.urlencode({"threshold": settings.SCREENING_THRESHOLD, "limit": 5})
        self.url = f"{base}/match/{dataset}?{params}"
        self.dataset = settings.SCREENING_YENTE_DATASET

    def _post(self, queries: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 (http or https, checked above)
            self.url,
            data=json.dumps({"queries": queries}).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(  # noqa: S310 (http or https, checked above)
                request, timeout=settings.SCREENING_YENTE_TIMEOUT_SECONDS
            ) as response:
                body = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise EngineUnavailable(str(error)) from error
        responses = body.get("responses") if isinstance(body, dict) else None
        if not isinstance(responses, dict):
            raise EngineUnavailable("not a /match response")
        return responses

    def match(self, subjects: Sequence[Record]) -> list[Match]:
        found: list[tuple[Any, dict[str, Any]]] = []
        for start in range(0, len(subjects), BATCH):
            batch = {str(s.ref): s for s in subjects[start : start + BATCH] if s.given_names}
            if not batch:
                continue
            responses = self._post({key: _query(s) for key, s in batch.items()})
            for key, subject in batch.items():
                answer = responses.get(key)
                if not isinstance(answer, dict) or answer.get("status", 200) != 200:
                    raise EngineUnavailable(f"no answer for query {key}")
                for result in answer.get("results", []):
                    if result.get("match") or float(result.get("score", 0)) >= float(
                        settings.SCREENING_THRESHOLD
                    ):
                        found.append((subject.ref, result))
        if not found:
            return []
        entries = self._entries([result for _ref, result in found])
        matches = []
        for ref, result in found:
            entry_id = entries.get(str(result.get("id")))
            if entry_id is None:
                continue
            score = round(float(result.get("score", 0)), 3)
            matches.append(
                Match(
                    ref,
                    entry_id,
                    score,
                    {
                        "engine": "yente",
                        "score": score,
                        "yente": {
                            "match": bool(result.get("match")),
                            "features": result.get("features", {}),
                            "datasets": result.get("datasets", []),
                        },
                    },
                )
            )
        return matches

    def _entries(self, results: list[dict[str, Any]]) -> dict[str, int]:
        """The local entry of each returned entity, recorded (or updated) as the service states
        it now."""
        parsed = {}
        for result in results:
            entry = entry_from_ftm(
                {
                    "id": result.get("id"),
                    "schema": result.get("schema"),
                    "properties": result.get("properties", {}),
                }
            )
            if entry is not None:
                parsed[entry.entity_id] = entry
        with transaction.atomic():
            source, _created = ListSource.objects.get_or_create(
                slug=f"yente-{self.dataset}"[:64],
                defaults={"title": f"yente: {self.dataset}"},
            )
            current = {
                e.entity_id: e
                for e in ListEntry.objects.filter(
                    source=source, removed_in__isnull=True, entity_id__in=parsed
                )
            }
            ids = {eid: e.pk for eid, e in current.items() if e.data_hash == parsed[eid].data_hash}
            fresh = [p for eid, p in parsed.items() if eid not in ids]
            if fresh:
                version = ListVersion.objects.create(
                    source=source,
                    file_name=self.url[:255],
                    file_sha256="",
                    format=ListFormat.FTM,
                    entries=len(fresh),
                    added=sum(1 for p in fresh if p.entity_id not in current),
                    changed=sum(1 for p in fresh if p.entity_id in current),
                )
                ListEntry.objects.filter(
                    pk__in=[current[p.entity_id].pk for p in fresh if p.entity_id in current]
                ).update(removed_in=version)
                for p in fresh:
                    row = ListEntry.objects.create(
                        source=source,
                        entity_id=p.entity_id,
                        schema=p.schema,
                        kind=p.kind,
                        caption=p.caption,
                        names=p.names,
                        birth_dates=p.birth_dates,
                        countries=p.countries,
                        programme=p.programme,
                        data_hash=p.data_hash,
                        first_version=version,
                    )
                    ids[p.entity_id] = row.pk
                # These entries came with their matches: nothing else to screen against them.
                version.screened_at = version.imported_at
                version.save(update_fields=["screened_at"])
        return ids
