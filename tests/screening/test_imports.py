"""List imports: versions with their diffs, bad files refused whole, and screening of the
changes only."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alliance_portal.models import AuditEvent
from screening import matching
from screening.models import Hit, ListEntry, ListVersion, Subject
from screening.services import list_import, subjects_rescreen_all, subjects_screen_pending
from tests.factories import MemberFactory

from .helpers import (
    SAMPLE_CSV,
    SAMPLE_FTM,
    SIDOROV,
    SIDOROV_ENTRY,
    UNRELATED,
    import_and_screen,
    owner,
    write_ftm,
)

pytestmark = pytest.mark.django_db


def test_the_sample_list_reads_people_and_companies_but_not_sanction_records():
    version = list_import(actor=None, source_slug="fictional", path=SAMPLE_FTM, fmt="ftm")
    assert (version.entries, version.added, version.changed, version.removed) == (20, 20, 0, 0)
    sidorov = ListEntry.objects.get(entity_id="fict-p-001")
    assert sidorov.kind == "person" and sidorov.schema == "Person"
    assert sidorov.names == ["Иван Петрович Сидоров", "Ivan Petrovich Sidorov", "Ivan Sidorov"]
    assert sidorov.birth_dates == ["1971-03-14"] and sidorov.countries == ["ru"]
    assert sidorov.programme == "FICT-DEMO"
    assert not ListEntry.objects.filter(entity_id__startswith="fict-s-").exists()
    event = AuditEvent.objects.get(action="screening.list_imported")
    assert event.payload["added"] == 20


def test_the_csv_sample_reads_its_columns():
    version = list_import(actor=None, source_slug="national", path=SAMPLE_CSV, fmt="csv")
    assert version.added == 5
    entry = ListEntry.objects.get(entity_id="NAT-0001")
    assert entry.names == ["Иван Петрович Сидоров", "Ivan Petrovich Sidorov", "Ivan Sidorov"]
    assert entry.birth_dates == ["1971-03-14"] and entry.countries == ["ru"]
    # Without a type: a date of birth makes a person, a legal form a company.
    assert ListEntry.objects.get(entity_id="NAT-0004").kind == "person"
    assert ListEntry.objects.get(entity_id="NAT-0005").kind == "company"


def test_a_new_version_records_what_was_added_changed_and_removed(tmp_path):
    first = write_ftm(tmp_path / "v1.json", UNRELATED)
    list_import(actor=None, source_slug="l", path=first, fmt="ftm")
    changed = dict(
        UNRELATED[0], properties={**UNRELATED[0]["properties"], "alias": ["A. Fenwhistle"]}
    )
    second = write_ftm(tmp_path / "v2.json", [changed, UNRELATED[2], SIDOROV_ENTRY])
    version = list_import(actor=None, source_slug="l", path=second, fmt="ftm")
    assert (version.entries, version.added, version.changed, version.removed) == (3, 1, 1, 1)
    current = ListEntry.objects.filter(source=version.source, removed_in__isnull=True)
    assert sorted(current.values_list("entity_id", flat=True)) == ["c-1", "p-1", "p-9"]
    # The earlier states stay, closed by the version that changed or removed them.
    closed = ListEntry.objects.filter(removed_in=version)
    assert sorted(closed.values_list("entity_id", flat=True)) == ["p-1", "p-2"]


def test_an_import_adding_one_matching_entry_raises_exactly_one_hit_and_again_none(tmp_path):
    member = MemberFactory(legal_name="Arctic Rough Ltd", country="BE")
    owner(member=member, **SIDOROV)
    write_ftm(tmp_path / "v1.json", UNRELATED)
    import_and_screen(tmp_path / "v1.json")
    assert subjects_screen_pending()["hits"] == 0

    write_ftm(tmp_path / "v2.json", [*UNRELATED, SIDOROV_ENTRY])
    version, raised = import_and_screen(tmp_path / "v2.json")
    assert version.added == 1 and raised == 1
    hit = Hit.objects.get()
    assert hit.entry.entity_id == "p-9" and hit.subject.member == member
    assert hit.features["date_of_birth"]["result"] == "match"

    version, raised = import_and_screen(tmp_path / "v2.json")
    assert (version.added, version.changed, version.removed, raised) == (0, 0, 0, 0)
    assert subjects_screen_pending()["hits"] == 0
    assert Hit.objects.count() == 1


def test_the_screening_after_an_import_only_reads_the_changes(tmp_path):
    """Screening against a version compares everyone with that version's entries only: a
    matching entry already in the list before is not the import's business."""
    member = MemberFactory()
    owner(member=member, **SIDOROV)
    write_ftm(tmp_path / "v1.json", [SIDOROV_ENTRY])
    list_import(actor=None, source_slug="l", path=tmp_path / "v1.json", fmt="ftm")
    write_ftm(tmp_path / "v2.json", [SIDOROV_ENTRY, *UNRELATED])
    version, raised = import_and_screen(tmp_path / "v2.json", source="l")
    assert version.added == 3 and raised == 0
    # The pending job, against the whole list, finds him.
    assert subjects_screen_pending()["hits"] == 1


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (
            '{"id": "x", "schema": "Person", "properties": {"name": ["A"]}}\n{not json\n',
            "ftm",
            "Line 2",
        ),
        ('{"id": "x", "schema": "Person", "properties": ["A"]}\n', "ftm", "Line 1"),
        ('{"schema": "Person", "properties": {"name": ["A"]}}\n', "ftm", "Line 1"),
        ("name,country\nA,ru\n", "csv", "list_id"),
        ("name,list_id\n,L-1\n", "csv", "Row 2"),
    ],
)
def test_a_bad_file_is_refused_whole_with_a_clear_message(tmp_path, content, fmt, message):
    path = tmp_path / f"bad.{fmt}"
    path.write_text(content)
    out = StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("screening_import", "l", str(path), "--format", fmt, stdout=out)
    assert not ListVersion.objects.exists() and not ListEntry.objects.exists()


def test_the_command_shows_progress_and_the_diff(tmp_path):
    member = MemberFactory()
    owner(member=member, **SIDOROV)
    out = StringIO()
    call_command("screening_import", "fictional", str(SAMPLE_FTM), stdout=out)
    text = out.getvalue()
    assert "reading [" in text and "100% 22/22" in text
    assert "20 entries, 20 added, 0 changed, 0 removed" in text
    assert "1 new hit(s)" in text


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("screening_import", "l", str(tmp_path / "nope.json"), stdout=StringIO())


def test_screening_reads_the_analysis_stored_at_import_and_renews_another_analysers(tmp_path):
    owner(member=MemberFactory(), **SIDOROV)
    path = write_ftm(tmp_path / "l.json", [*UNRELATED, SIDOROV_ENTRY])
    list_import(actor=None, source_slug="l", path=path, fmt="ftm")
    sidorov = ListEntry.objects.filter(entity_id="p-9")
    assert sidorov.get().analysed_with == matching.ANALYSER
    # Screening matches the names as analysed at import; it does not analyse them again.
    sidorov.update(analysis=ListEntry.objects.get(entity_id="p-2").analysis)
    assert subjects_screen_pending()["hits"] == 0
    # An analysis made by another analyser (an older rigour, or none yet) is made again first.
    sidorov.update(analysed_with="")
    assert subjects_rescreen_all()["hits"] == 1
    entry = sidorov.get()
    assert entry.analysed_with == matching.ANALYSER
    assert entry.analysis == matching.stored_form(matching.analyse(entry.kind, entry.names))


def test_screening_an_import_reads_the_subjects_analyses_stored_when_first_screened(tmp_path):
    owner(member=MemberFactory(), **SIDOROV)
    subjects_screen_pending()
    person = Subject.objects.filter(kind="person")
    assert person.get().analysed_with == matching.ANALYSER
    # Everyone is matched with the changes as analysed when first screened, not again.
    person.update(analysis=matching.stored_form(matching.analyse("person", ["Grigor Ashenvale"])))
    _version, raised = import_and_screen(write_ftm(tmp_path / "v1.json", [SIDOROV_ENTRY]))
    assert raised == 0
    # An analysis made by another analyser is made again first.
    person.update(analysed_with="rigour 0.1")
    changed = dict(
        SIDOROV_ENTRY, properties={**SIDOROV_ENTRY["properties"], "alias": ["I. P. Sidorov"]}
    )
    version, raised = import_and_screen(write_ftm(tmp_path / "v2.json", [changed]))
    assert version.changed == 1 and raised == 1
    subject = person.get()
    assert subject.analysed_with == matching.ANALYSER
    assert subject.analysis == matching.stored_form(
        matching.analyse(subject.kind, subject.data["names"])
    )
