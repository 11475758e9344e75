"""Name matching a compliance officer can follow: every score comes with the features behind it.

Names are analysed by OpenSanctions' ``rigour`` (the library yente and nomenklatura use):
it normalises and transliterates (Cyrillic, diacritics), strips honorifics, recognises
legal-form words (OOO, LLC, FZE… become one class) and tags given names with their
cross-script identities (Сергей, Sergei and Sergey carry the same symbol). Parts are then
aligned regardless of order, scored with ``rapidfuzz`` for spelling drift, and initials
match the names they abbreviate. Date of birth and country corroborate or contradict.

The local engine keeps the list in memory behind a blocking index (phonetic keys of the
name parts): a subject is only compared with the entries sharing enough keys with it. Names
are analysed once (a list entry's when it is imported, a subject's when it is first screened)
and stored in that analysed form (``stored_form``): screening reads the parts, keys and
symbols back (``stored_records``) rather than analysing 200,000 names again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from typing import Any

from django.conf import settings
from rapidfuzz.distance import Levenshtein
from rigour.names import NamePartTag, NameTypeTag, SymbolCategory, analyze_names

PERSON = "person"
COMPANY = "company"

# Score adjustments for the corroborating evidence (documented in the features they add).
DOB_MATCH = 0.10
DOB_YEAR_ONLY = 0.03
DOB_DIFFERS = -0.40
COUNTRY_MATCH = 0.05
COUNTRY_DIFFERS = -0.30
LEGAL_FORM_DIFFERS = -0.10
# A token paired below this similarity is not a match at all.
TOKEN_FLOOR = 0.70
# Names of one part prove little.
SINGLE_PART_CAP = 0.60
# What made a stored analysis: one made by another version of rigour is made again before use
# (a subject analysed by one version and an entry by another would not compare alike).
ANALYSER = f"rigour {version('rigour')}"


@dataclass(frozen=True, slots=True)
class Token:
    form: str
    key: str
    # rigour's symbols of the part, as text ("[NAME:Q4925477]"): the same on both sides
    # whether analysed now or read back from an entry's stored analysis.
    symbols: frozenset[str]
    initial: bool


@dataclass(frozen=True, slots=True)
class PreparedName:
    original: str
    tokens: tuple[Token, ...]
    legal_forms: frozenset[str]


@dataclass(slots=True)
class Record:
    """A subject or a list entry, ready to compare."""

    ref: Any
    kind: str
    names: list[PreparedName]
    birth_dates: list[str] = field(default_factory=list)
    countries: frozenset[str] = frozenset()
    # The names as given (analysis merges those that normalise alike): what a remote engine
    # is asked about.
    given_names: list[str] = field(default_factory=list)

    # The phonetic keys of the name parts (initials aside), for the blocking index.
    keys: frozenset[str] = frozenset()


ORG_CLASS = SymbolCategory.ORG_CLASS
PART_SYMBOLS = (SymbolCategory.NAME, SymbolCategory.SYMBOL)
SKIPPED_TAGS = (NamePartTag.LEGAL, NamePartTag.STOP)
EMPTY: frozenset[Any] = frozenset()


def analyse(kind: str, names: Iterable[str]) -> list[PreparedName]:
    """The names as the matcher reads them: parts, phonetic keys, symbols, legal forms."""
    type_tag = NameTypeTag.PER if kind == PERSON else NameTypeTag.ORG
    given = [n.strip() for n in names if n and n.strip()]
    prepared = []
    person = kind == PERSON
    for name in analyze_names(type_tag, given, infer_initials=person):
        part_symbols: dict[int, set[str]] = defaultdict(set)
        legal_forms = set()
        # Hot loop (every name goes through it): only one-part spans say something about a part.
        for span in name.spans:
            symbol = span.symbol
            category = symbol.category
            if category == ORG_CLASS:
                legal_forms.add(str(symbol.id))
            else:
                parts = span.parts
                if len(parts) == 1 and category in PART_SYMBOLS:
                    part_symbols[parts[0].index].add(str(symbol))
        tokens = []
        for part in name.parts:
            if part.tag in SKIPPED_TAGS:
                continue
            form = part.comparable
            if not form:
                continue
            symbols = part_symbols.get(part.index)
            tokens.append(
                Token(
                    form=form,
                    key=part.metaphone or form,
                    symbols=frozenset(symbols) if symbols else EMPTY,
                    initial=person and len(form) == 1,
                )
            )
        if tokens:
            prepared.append(PreparedName(name.original, tuple(tokens), frozenset(legal_forms)))
    return prepared


def _record(
    ref: Any,
    kind: str,
    names: list[PreparedName],
    birth_dates: Iterable[str],
    countries: frozenset[str],
    given: list[str],
) -> Record:
    return Record(
        ref=ref,
        kind=kind,
        names=names,
        birth_dates=[d for d in birth_dates if d],
        countries=countries,
        given_names=given,
        keys=frozenset(t.key for n in names for t in n.tokens if not t.initial),
    )


def prepare(
    ref: Any,
    kind: str,
    names: Iterable[str],
    birth_dates: Iterable[str] = (),
    countries: Iterable[str] = (),
) -> Record:
    given = [n.strip() for n in names if n and n.strip()]
    return _record(
        ref,
        kind,
        analyse(kind, given),
        birth_dates,
        frozenset(c.lower() for c in countries if c),
        given,
    )


# --- stored analyses -------------------------------------------------------------------------


def stored_form(names: list[PreparedName]) -> list[Any]:
    """The analysis as JSON: [original, legal forms, [[form, key, symbols], …]] per name."""
    return [
        [
            name.original,
            sorted(name.legal_forms),
            [[t.form, t.key, sorted(t.symbols)] for t in name.tokens],
        ]
        for name in names
    ]


def stored_records(
    rows: Iterable[tuple[Any, str, list[Any], list[str], list[str]]],
) -> Iterator[Record]:
    """Records of (ref, kind, stored form, birth dates, countries) rows, as ``prepare`` would
    make them but without analysing anything. Equal tokens, legal forms and countries are
    shared between records, which keeps a 200,000-entry list small in memory."""
    tokens: dict[tuple[Any, ...], Token] = {}
    sets: dict[tuple[str, ...], frozenset[str]] = {(): EMPTY}

    def shared_set(values: list[str]) -> frozenset[str]:
        ident = tuple(values)
        found = sets.get(ident)
        if found is None:
            found = sets[ident] = frozenset(values)
        return found

    for ref, kind, stored, birth_dates, countries in rows:
        person = kind == PERSON
        names = []
        for original, legal_forms, parts in stored:
            name_tokens = []
            for form, key, symbols in parts:
                ident = (person, form, key, *symbols)
                token = tokens.get(ident)
                if token is None:
                    initial = person and len(form) == 1
                    token = tokens[ident] = Token(form, key, shared_set(symbols), initial)
                name_tokens.append(token)
            names.append(PreparedName(original, tuple(name_tokens), shared_set(legal_forms)))
        lowered = shared_set(sorted({c.lower() for c in countries if c}))
        yield _record(ref, kind, names, birth_dates, lowered, [])


# --- scoring ---------------------------------------------------------------------------------


def _token_similarity(a: Token, b: Token) -> tuple[float, str]:
    if a.form == b.form:
        return 1.0, "same"
    if a.initial or b.initial:
        if a.form[0] == b.form[0] and not (a.initial and b.initial):
            return 0.8, "initial"
        return 0.0, ""
    if a.symbols & b.symbols:
        return 0.95, "same name in another spelling"
    similarity = Levenshtein.normalized_similarity(a.form, b.form)
    if a.key == b.key and similarity < 0.9:
        return 0.9, "sounds alike"
    return similarity, "spelling"


def _name_score(a: PreparedName, b: PreparedName) -> tuple[float, list[dict[str, Any]]]:
    """Align the parts of two names in any order: the best pairs first, each part once."""
    pairs = []
    for i, ta in enumerate(a.tokens):
        for j, tb in enumerate(b.tokens):
            similarity, how = _token_similarity(ta, tb)
            if similarity >= TOKEN_FLOOR:
                pairs.append((similarity, i, j, how))
    pairs.sort(key=lambda p: -p[0])
    used_a: set[int] = set()
    used_b: set[int] = set()
    aligned = []
    total = 0.0
    for similarity, i, j, how in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        total += similarity
        aligned.append(
            {
                "subject": a.tokens[i].form,
                "entry": b.tokens[j].form,
                "similarity": round(similarity, 3),
                "how": how,
            }
        )
    shorter = min(len(a.tokens), len(b.tokens))
    longer = max(len(a.tokens), len(b.tokens))
    if not aligned or shorter == 0:
        return 0.0, aligned
    # Every part of the shorter name must be explained; parts only the longer one has (a
    # patronymic, a middle name) cost a little, unmatched parts of the shorter one a lot.
    score = total / shorter - 0.05 * (longer - shorter) - 0.5 * (shorter - len(aligned))
    if shorter == 1 and longer > 1:
        score = min(score, SINGLE_PART_CAP)
    return max(0.0, min(1.0, score)), aligned


def _dob_feature(subject: Record, entry: Record) -> dict[str, Any] | None:
    if not subject.birth_dates or not entry.birth_dates:
        return None
    result, weight = "differs", DOB_DIFFERS
    for theirs in entry.birth_dates:
        for ours in subject.birth_dates:
            if ours == theirs:
                return {
                    "subject": ours,
                    "entry": entry.birth_dates,
                    "result": "match",
                    "weight": DOB_MATCH,
                }
            if len(theirs) < len(ours) and ours.startswith(theirs):
                result, weight = "partial match", DOB_YEAR_ONLY
    return {
        "subject": subject.birth_dates[0],
        "entry": entry.birth_dates,
        "result": result,
        "weight": weight,
    }


def _country_feature(subject: Record, entry: Record) -> dict[str, Any] | None:
    if not subject.countries or not entry.countries:
        return None
    common = subject.countries & entry.countries
    return {
        "subject": sorted(subject.countries),
        "entry": sorted(entry.countries),
        "result": "match" if common else "differs",
        "weight": COUNTRY_MATCH if common else COUNTRY_DIFFERS,
    }


def compare(subject: Record, entry: Record) -> tuple[float, dict[str, Any]]:
    """The score of a subject against an entry, and the features that made it."""
    best: tuple[float, dict[str, Any]] = (0.0, {})
    for a in subject.names:
        for b in entry.names:
            score, aligned = _name_score(a, b)
            if score > best[0]:
                best = (
                    score,
                    {
                        "subject_name": a.original,
                        "entry_name": b.original,
                        "score": round(score, 3),
                        "parts": aligned,
                        "_legal": (a.legal_forms, b.legal_forms),
                    },
                )
    name_score, name_feature = best
    if name_score == 0.0:
        return 0.0, {}
    features: dict[str, Any] = {}
    score = name_score
    legal_a, legal_b = name_feature.pop("_legal")
    features["name"] = name_feature
    if legal_a and legal_b:
        same = bool(legal_a & legal_b)
        features["legal_form"] = {
            "subject": sorted(legal_a),
            "entry": sorted(legal_b),
            "result": "match" if same else "differs",
            "weight": 0.0 if same else LEGAL_FORM_DIFFERS,
        }
    for key, feature in (
        ("date_of_birth", _dob_feature(subject, entry)),
        ("country", _country_feature(subject, entry)),
    ):
        if feature is not None:
            features[key] = feature
    for feature in features.values():
        score += feature.get("weight", 0.0)
    score = round(max(0.0, min(1.0, score)), 3)
    features["score"] = score
    return score, features


def threshold() -> float:
    return float(settings.SCREENING_THRESHOLD)


# --- the local engine ------------------------------------------------------------------------


@dataclass
class Match:
    subject: Any
    entry: Any
    score: float
    features: dict[str, Any]


class Index:
    """Entries by the phonetic keys of their name parts."""

    def __init__(self, entries: Iterable[Record]) -> None:
        self.entries: list[Record] = []
        self.postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.key_counts: list[int] = []
        for record in entries:
            position = len(self.entries)
            self.entries.append(record)
            keys = record.keys
            self.key_counts.append(len(keys))
            for key in keys:
                self.postings[(record.kind, key)].append(position)

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, subject: Record) -> Iterator[Record]:
        keys = subject.keys
        counts: Counter[int] = Counter()
        for key in keys:
            counts.update(self.postings.get((subject.kind, key), ()))
        # Two shared keys, or all of them when a name has fewer.
        needed = min(2, len(keys))
        key_counts, entries = self.key_counts, self.entries
        for position, shared in counts.items():
            if shared >= needed or shared >= key_counts[position]:
                yield entries[position]


def match(subjects: Sequence[Record], index: Index, *, minimum: float | None = None) -> list[Match]:
    """Every (subject, entry) pair scoring at least the threshold."""
    floor = threshold() if minimum is None else minimum
    found = []
    for subject in subjects:
        for entry in index.candidates(subject):
            score, features = compare(subject, entry)
            if score >= floor:
                found.append(Match(subject.ref, entry.ref, score, features))
    return found


def iso_date(value: date | None) -> list[str]:
    return [value.isoformat()] if value else []
