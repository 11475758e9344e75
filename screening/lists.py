"""Reading list files: FollowTheMoney JSON lines (OpenSanctions' ``entities.ftm.json``) and a
plain CSV for official national lists. Nothing here touches the database.

FtM entities are read here rather than with the ``followthemoney`` package: matching needs a
handful of properties of a few schemata, and that package brings SQLAlchemy, mypy, rdflib,
networkx, Babel and phonenumbers into the runtime (some 140 MB). Names, dates and countries
are normalised by ``rigour`` (OpenSanctions' own normalisation library) when matched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rigour.names import extract_org_types

from .matching import COMPANY, PERSON

# The FtM schemata screened: people, and the legal entities that are organisations (the
# schema hierarchy Thing > LegalEntity > Organization > Company | PublicBody). Others
# (Sanction, Address, Ownership, Vessel…) are not persons or companies and are skipped.
PERSON_SCHEMATA = frozenset({"Person"})
COMPANY_SCHEMATA = frozenset({"LegalEntity", "Organization", "Company", "PublicBody"})
# FtM properties read, by what they mean to matching.
NAME_PROPS = ("name", "alias", "weakAlias", "previousName")
BIRTH_PROPS = ("birthDate",)
COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction")
PROGRAMME_PROPS = ("programId", "program")
CSV_COLUMNS = {
    "name": "name",
    "aliases": "aliases",
    "date_of_birth": "date_of_birth",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "country": "country",
    "programme": "programme",
    "program": "programme",
    "list_id": "list_id",
    "id": "list_id",
    "type": "type",
}

Progress = Callable[[int], None]


@dataclass
class ParsedEntry:
    entity_id: str
    schema: str
    kind: str
    caption: str
    names: list[str]
    birth_dates: list[str]
    countries: list[str]
    programme: str

    @property
    def data_hash(self) -> str:
        canonical = json.dumps(
            [
                self.schema,
                sorted(set(self.names)),
                sorted(set(self.birth_dates)),
                sorted(set(self.countries)),
                self.programme,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


class InvalidEntity(ValueError):
    pass


def _property(properties: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for name in names:
        raw = properties.get(name, [])
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            raise InvalidEntity(f"property {name} is not a list of values")
        values.extend(str(v) for v in raw if isinstance(v, (str, int)))
    return _unique(values)


def entry_from_ftm(data: dict[str, Any]) -> ParsedEntry | None:
    """A person or organisation of an FtM entity; None for other schemata (sanctions,
    addresses, ownerships…)."""
    entity_id, schema, properties = data.get("id"), data.get("schema"), data.get("properties", {})
    if not isinstance(entity_id, str) or not entity_id.strip() or not isinstance(schema, str):
        raise InvalidEntity("no id or schema")
    if not isinstance(properties, dict):
        raise InvalidEntity("properties is not an object")
    if schema in PERSON_SCHEMATA:
        kind = PERSON
    elif schema in COMPANY_SCHEMATA:
        kind = COMPANY
    else:
        return None
    names = _property(properties, NAME_PROPS)
    if not names:
        return None
    return ParsedEntry(
        entity_id=entity_id.strip()[:200],
        schema=schema,
        kind=kind,
        caption=names[0][:500],
        names=names,
        birth_dates=[d[:10] for d in _property(properties, BIRTH_PROPS)],
        countries=[c.lower() for c in _property(properties, COUNTRY_PROPS)],
        programme="; ".join(_property(properties, PROGRAMME_PROPS))[:500],
    )


def read_ftm(lines: Iterator[str], progress: Progress | None = None) -> Iterator[ParsedEntry]:
    for number, line in enumerate(lines, start=1):
        if progress is not None:
            progress(number)
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise InvalidEntity("not a JSON object")
            entry = entry_from_ftm(data)
        except ValueError as error:
            raise ValidationError(
                _("Line %(line)s is not a FollowTheMoney entity: %(error)s")
                % {"line": number, "error": error}
            ) from error
        if entry is not None:
            yield entry


def _csv_kind(declared: str, names: list[str], birth_date: str) -> str:
    declared = declared.strip().lower()
    if declared in (PERSON, "individual"):
        return PERSON
    if declared in (COMPANY, "entity", "organisation", "organization"):
        return COMPANY
    if birth_date:
        return PERSON
    # Without a type column: a name carrying a legal form (LLC, GmbH, the Russian OOO…) is a company.
    return COMPANY if any(extract_org_types(n) for n in names) else PERSON


def read_csv(lines: Iterator[str], progress: Progress | None = None) -> Iterator[ParsedEntry]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise ValidationError(_("The CSV file is empty."))
    columns = [CSV_COLUMNS.get(h.strip().lower().replace(" ", "_"), "") for h in header]
    missing = {"name", "list_id"} - set(columns)
    if missing:
        raise ValidationError(
            _("The CSV file needs the columns %(columns)s.")
            % {"columns": ", ".join(sorted(missing))}
        )
    for number, row in enumerate(reader, start=2):
        if progress is not None:
            progress(number)
        if not any(cell.strip() for cell in row):
            continue
        record = {col: cell for col, cell in zip(columns, row, strict=False) if col}
        list_id = record.get("list_id", "").strip()
        name = record.get("name", "").strip()
        if not list_id or not name:
            raise ValidationError(_("Row %(row)s has no name or no list id.") % {"row": number})
        names = _unique([name, *record.get("aliases", "").split(";")])
        birth_date = record.get("date_of_birth", "").strip()
        kind = _csv_kind(record.get("type", ""), names, birth_date)
        yield ParsedEntry(
            entity_id=list_id,
            schema="Person" if kind == PERSON else "Organization",
            kind=kind,
            caption=name[:500],
            names=names,
            birth_dates=[birth_date] if birth_date else [],
            countries=_unique([c.lower() for c in record.get("country", "").split(";")]),
            programme=record.get("programme", "").strip()[:500],
        )


def read_file(
    path: Path, fmt: str, progress: Progress | None = None
) -> tuple[str, list[ParsedEntry]]:
    """The file's SHA-256 and its entries (the last one wins for a repeated list id)."""
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            digest.update(chunk)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = read_ftm if fmt == "ftm" else read_csv
        try:
            entries = {e.entity_id: e for e in reader(iter(text), progress)}
        except UnicodeDecodeError as error:
            raise ValidationError(_("The file is not UTF-8 text.")) from error
    return digest.hexdigest(), list(entries.values())
