"""Matching with known pairs: what must be found, what must not, and why each hit matched."""

import json

import pytest
from django.test import override_settings

from screening import matching
from screening.matching import COMPANY, PERSON, compare, prepare

THRESHOLD = 0.8


def score(kind, ours, theirs, *, our_dob=(), their_dob=(), our_countries=(), their_countries=()):
    subject = prepare("s", kind, ours, our_dob, our_countries)
    entry = prepare("e", kind, theirs, their_dob, their_countries)
    return compare(subject, entry)


FOUND = [
    # transliteration, Cyrillic ↔ Latin, with the patronymic and without it
    (PERSON, "Иванов Сергей Петрович", "Sergei Petrovich Ivanov"),
    (PERSON, "Иванов Сергей Петрович", "Sergey Ivanov"),
    # word order
    (PERSON, "Ivanov Sergei Petrovich", "Sergei Petrovich Ivanov"),
    (PERSON, "IVANOV, Sergei", "Sergei Ivanov"),
    # initials
    (PERSON, "S. P. Ivanov", "Sergei Petrovich Ivanov"),
    # diacritics
    (PERSON, "José Müller", "Jose Muller"),
    (PERSON, "Océane Brumevent", "Oceane Brumevent"),
    # legal forms, in another script
    (COMPANY, "ООО «Полярный алмаз»", "Polyarny Almaz LLC"),
    (COMPANY, "Glimmerstone Holdings FZE", "Glimmerstone Holdings"),
    # a small spelling drift
    (PERSON, "Zephyrine Quilfeather", "Zephyrine Quillfeather"),
]


@pytest.mark.parametrize(("kind", "ours", "theirs"), FOUND)
def test_known_pairs_are_found(kind, ours, theirs):
    found, features = score(kind, [ours], [theirs])
    assert found >= THRESHOLD, features
    assert features["name"]["parts"], "the hit explains which parts matched"


NOT_FOUND = [
    (PERSON, "Sergei Ivanov", "Sergei Ivanchenko"),
    (PERSON, "Anna Smirnova", "Sergei Ivanov"),
    (PERSON, "Ivan Petrov", "Иван Петрович Сидоров"),
    (COMPANY, "Polar Rough Trading LLC", "Polyarny Almaz LLC"),
    (COMPANY, "Demo Diamonds Ltd", "Nightjar Gemworks GmbH"),
]


@pytest.mark.parametrize(("kind", "ours", "theirs"), NOT_FOUND)
def test_different_names_are_not_found(kind, ours, theirs):
    found, _features = score(kind, [ours], [theirs])
    assert found < THRESHOLD


def test_same_name_same_birth_date_and_nationality_scores_full():
    found, features = score(
        PERSON,
        ["Ivan Petrovich Sidorov"],
        ["Иван Петрович Сидоров"],
        our_dob=["1971-03-14"],
        their_dob=["1971-03-14"],
        our_countries=["ru"],
        their_countries=["ru"],
    )
    assert found == 1.0
    assert features["date_of_birth"]["result"] == "match"
    assert features["country"]["result"] == "match"


def test_a_look_alike_born_another_day_is_below_the_threshold():
    found, features = score(
        PERSON,
        ["Ivan Petrovich Sidorov"],
        ["Иван Петрович Сидоров"],
        our_dob=["1980-01-01"],
        their_dob=["1971-03-14"],
    )
    assert found < THRESHOLD
    assert features["date_of_birth"] == {
        "subject": "1980-01-01",
        "entry": ["1971-03-14"],
        "result": "differs",
        "weight": matching.DOB_DIFFERS,
    }


def test_a_look_alike_of_another_nationality_is_below_the_threshold():
    found, features = score(
        PERSON,
        ["Sergei Petrovich Ivanov"],
        ["Иванов Сергей Петрович"],
        our_countries=["de"],
        their_countries=["ru"],
    )
    assert found < THRESHOLD
    assert features["country"]["result"] == "differs"


def test_a_birth_year_only_list_entry_is_a_partial_match():
    found, features = score(
        PERSON,
        ["Borislav Thundermoss"],
        ["Borislav Thundermoss"],
        our_dob=["1959-06-01"],
        their_dob=["1959"],
    )
    assert found >= THRESHOLD
    assert features["date_of_birth"]["result"] == "partial match"


def test_a_hit_explains_itself_part_by_part():
    _found, features = score(PERSON, ["Sergey Ivanov"], ["Иванов Сергей Петрович"])
    parts = {(p["subject"], p["entry"]): p["how"] for p in features["name"]["parts"]}
    assert parts == {
        ("ivanov", "ivanov"): "same",
        ("sergey", "sergei"): "same name in another spelling",
    }
    assert features["name"]["entry_name"] == "Иванов Сергей Петрович"
    assert features["score"] == _found


def test_legal_forms_are_compared_as_classes():
    _found, features = score(COMPANY, ["ООО «Полярный алмаз»"], ["Polyarny Almaz LLC"])
    assert features["legal_form"]["result"] == "match"
    found, features = score(COMPANY, ["Polyarny Almaz LLC"], ["Polyarny Almaz JSC"])
    assert features["legal_form"]["result"] == "differs"
    assert found < 1.0


def test_a_person_is_never_compared_with_a_company():
    index = matching.Index([prepare(1, COMPANY, ["Sergei Ivanov Holdings LLC"])])
    assert list(index.candidates(prepare("s", PERSON, ["Sergei Ivanov"]))) == []


def test_the_index_finds_the_pairs_it_must_and_skips_the_rest():
    entries = [
        prepare(1, PERSON, ["Иванов Сергей Петрович"], ["1965-11-02"], ["ru"]),
        prepare(2, PERSON, ["Zephyrine Quillfeather"]),
        prepare(3, COMPANY, ["ООО «Полярный алмаз»"]),
    ] + [prepare(100 + i, PERSON, [f"Person{i} Unrelated{i}"]) for i in range(200)]
    index = matching.Index(entries)
    subject = prepare("s", PERSON, ["Sergey Ivanov"])
    assert [e.ref for e in index.candidates(subject)] == [1]
    with override_settings(SCREENING_THRESHOLD=THRESHOLD):
        found = matching.match([subject, prepare("c", COMPANY, ["Polyarny Almaz LLC"])], index)
    assert {(m.subject, m.entry) for m in found} == {("s", 1), ("c", 3)}


def test_the_threshold_is_a_setting():
    index = matching.Index([prepare(1, PERSON, ["Zephyrine Quillfeather"])])
    subject = prepare("s", PERSON, ["Zephyrine Quilfeather"])
    with override_settings(SCREENING_THRESHOLD=0.8):
        assert matching.match([subject], index)
    with override_settings(SCREENING_THRESHOLD=0.99):
        assert matching.match([subject], index) == []


def _from_storage(kind, names, birth_dates=(), countries=()):
    """An entry as screening reads it back: its stored analysis, through JSON."""
    stored = json.loads(json.dumps(matching.stored_form(matching.analyse(kind, names))))
    [record] = matching.stored_records([("e", kind, stored, list(birth_dates), list(countries))])
    return record


@pytest.mark.parametrize(("kind", "ours", "theirs"), FOUND + NOT_FOUND)
def test_an_entry_read_back_from_its_stored_analysis_scores_as_when_analysed(kind, ours, theirs):
    subject = prepare("s", kind, [ours], ["1971-03-14"], ["ru"])
    analysed = prepare("e", kind, [theirs], ["1971"], ["RU"])
    stored = _from_storage(kind, [theirs], ["1971"], ["RU"])
    assert stored.names == analysed.names and stored.keys == analysed.keys
    assert compare(subject, stored) == compare(subject, analysed)


def test_equal_parts_of_stored_entries_are_shared_in_memory():
    stored = matching.stored_form(matching.analyse(PERSON, ["Sergei Ivanov"]))
    first, second = matching.stored_records(
        [(1, PERSON, stored, [], ["ru"]), (2, PERSON, stored, [], ["ru"])]
    )
    assert first.names[0].tokens[0] is second.names[0].tokens[0]
    assert first.countries is second.countries
