"""Small builders for the screening tests: list files written on the fly, key people."""

import json
from datetime import date
from pathlib import Path

from members.models import KeyPerson, PersonRole
from screening.services import list_import, version_screen

SAMPLE_FTM = (
    Path(__file__).resolve().parents[2] / "screening" / "sample" / "fictional_list.ftm.json"
)
SAMPLE_CSV = Path(__file__).resolve().parents[2] / "screening" / "sample" / "fictional_list.csv"


def person_entity(
    entity_id, name, *, aliases=(), birth_date=None, nationality=None, schema="Person"
):
    properties = {"name": [name], "alias": list(aliases)}
    if birth_date:
        properties["birthDate"] = [birth_date]
    if nationality:
        properties["nationality"] = [nationality]
    return {"id": entity_id, "schema": schema, "properties": properties}


def company_entity(entity_id, name, *, aliases=(), jurisdiction=None):
    properties = {"name": [name], "alias": list(aliases)}
    if jurisdiction:
        properties["jurisdiction"] = [jurisdiction]
    return {"id": entity_id, "schema": "Company", "properties": properties}


def write_ftm(path: Path, entities) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities))
    return path


def import_and_screen(path: Path, source="test-list", fmt="ftm"):
    version = list_import(actor=None, source_slug=source, path=path, fmt=fmt)
    raised = version_screen(version)
    return version, raised


def owner(
    *,
    member=None,
    application=None,
    name="Ivan Petrovich Sidorov",
    latin="",
    born=None,
    nationality="",
    residence="",
    role=PersonRole.OWNER,
):
    return KeyPerson.objects.create(
        member=member,
        application=application,
        role=role,
        name=name,
        name_latin=latin,
        date_of_birth=born,
        nationality=nationality,
        country_of_residence=residence,
    )


SIDOROV = {
    "name": "Иван Петрович Сидоров",
    "latin": "Ivan Petrovich Sidorov",
    "born": date(1971, 3, 14),
    "nationality": "RU",
    "residence": "RU",
}


UNRELATED = [
    person_entity("p-1", "Alaric Fenwhistle", birth_date="1962-09-09", nationality="ie"),
    person_entity("p-2", "Grigor Ashenvale", birth_date="1970-12-12"),
    company_entity("c-1", "Obsidian Lantern Mining Corp", jurisdiction="cd"),
]
SIDOROV_ENTRY = person_entity(
    "p-9",
    "Иван Петрович Сидоров",
    aliases=["Ivan Sidorov"],
    birth_date="1971-03-14",
    nationality="ru",
)
