"""The Russian crawl: every portal, auditor and public page each demo role reaches, rendered in
Russian on a seeded database, shows no UI string left in English.

A visible string is flagged when it holds ASCII words of four letters or more that are not
data; the report says when it is also an English msgid of the catalogue (a string not passed
through the translation, or translated to itself). Data is allowed explicitly: the seeded database's own
strings (company names, addresses, people, e-mails, file names, reference numbers, what members
and staff typed), a short list of names and codes, and whatever a template marks
``translate="no"`` (the HTML attribute for text that must not be translated)."""

import re
from pathlib import Path

import lxml.html
import polib
import pytest
from django.apps import apps
from django.utils import translation

from tests.crawl import ROLES, client_for, demo_verify_path, pages_for, seed_demo

CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "ru" / "LC_MESSAGES" / "django.po"
# Names, abbreviations and formats that are the same in Russian.
ALLOWED_WORDS = {"ALROSA", "ALLIANCE", "JSON", "TOTP", "JPEG", "DOCX", "XLSX"}
# Data: what people typed or uploaded, shown as they wrote it (the demo writes in English).
# Reference content kept in two languages (title_en / title_ru …) is not data here: its
# English values are exactly what must not show on a Russian page.
DATA_FIELDS = {
    "members.User": ["full_name", "email"],
    "members.Member": ["legal_name", "address", "website", "former_names", "no_owner_reason"],
    "members.Application": [
        "legal_name",
        "address",
        "website",
        "decision_reason",
        "former_names",
        "no_owner_reason",
    ],
    "members.InformationRequest": ["message", "answer"],
    "members.KeyPerson": ["name", "name_latin", "control", "review_comment"],
    "licensing.Signature": ["typed_name", "typed_title"],
    "licensing.LogoUse": ["markets", "description", "comments"],
    "compliance.Answer": ["explanation", "reviewer_note"],
    "compliance.ReviewCycle": ["decision_note"],
    "compliance.Finding": ["description", "corrective_action", "action_taken", "resolution_note"],
    "compliance.ForfeitureCase": ["narrative", "response", "decision_reasons"],
    "compliance.Submission": ["typed_name", "review_note"],
    "alliance_portal.Document": ["original_name"],
    "trust.Report": ["description", "public_outcome", "appeal_text"],
    # A notification keeps the subject of the e-mail it mirrors, in the language it was sent in.
    "alliance_portal.Notification": ["subject"],
}
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
WORD = re.compile(r"[A-Za-z]{4,}")
# Codes, addresses and file names, recognised by their shape.
SHAPES = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses
    r"|https?://\S+"  # web addresses
    r"|[\w.-]+\.(pdf|png|jpe?g|docx|xlsx|csv|json)\b"  # file names
    r"|\b[\w-]*\d[\w-]*\b"  # anything with a digit: numbers, codes, references
)


def data_words() -> set[str]:
    """Every ASCII word of the seeded database's data fields (DATA_FIELDS)."""
    words: set[str] = set()
    for label, fields in DATA_FIELDS.items():
        for row in apps.get_model(label).objects.values_list(*fields):
            for value in row:
                words.update(WORD.findall(SHAPES.sub(" ", value or "")))
    return words


def english_msgids() -> set[str]:
    po = polib.pofile(str(CATALOGUE))
    return {" ".join(e.msgid.split()) for e in po if not e.obsolete and WORD.search(e.msgid)}


def visible_strings(html: str) -> list[str]:
    """The text a person sees or hears on the page: text nodes and labelling attributes."""
    tree = lxml.html.fromstring(html)
    # Text marked as in another language (lang="en" on "English" in the language switcher)
    # or as not to be translated.
    marked = '//*[@translate="no"] | //body//*[@lang and not(starts-with(@lang, "ru"))]'
    for dropped in tree.xpath(f"//script | //style | {marked}"):
        dropped.drop_tree()
    strings = [" ".join(t.split()) for t in tree.xpath("//body//text()")]
    for attribute in ATTRIBUTES:
        strings += [" ".join(v.split()) for v in tree.xpath(f"//body//@{attribute}")]
    strings += tree.xpath('//input[@type="submit" or @type="button"]/@value')
    return [s for s in strings if s]


def english_in(strings: list[str], msgids: set[str], allowed: set[str]) -> list[str]:
    flagged = []
    for text in strings:
        words = [w for w in WORD.findall(SHAPES.sub(" ", text)) if w not in allowed]
        if words:
            known = " (a catalogue msgid)" if text in msgids else ""
            flagged.append(f"{text}  [{', '.join(words)}]{known}")
    return flagged


def crawl_in_russian() -> dict[str, list[str]]:
    with translation.override(None):  # the requests activate Russian: not for later tests
        return _crawl_in_russian()


def _crawl_in_russian() -> dict[str, list[str]]:
    msgids = english_msgids()
    allowed = ALLOWED_WORDS | data_words()
    found: dict[str, list[str]] = {}
    for role in ROLES:
        client = client_for(role)
        client.cookies["django_language"] = "ru"
        for path in pages_for(role, demo_verify_path()):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.content.decode().count('lang="ru"'), path
            flagged = english_in(visible_strings(response.content.decode()), msgids, allowed)
            if flagged:
                found[f"{role or 'visitor'} {path}"] = flagged
    return found


@pytest.mark.django_db(transaction=True)
def test_every_page_in_russian_shows_no_english_ui_string(reference_data, settings):
    settings.ALLIANCE_REQUIRE_MFA = False
    seed_demo()
    found = crawl_in_russian()
    report = "\n".join(f"{page}:\n  " + "\n  ".join(strings) for page, strings in found.items())
    assert found == {}, report


@pytest.mark.django_db
def test_the_crawl_catches_a_string_left_in_english(client):
    """The same check on a real page, with one catalogue entry made to stay English and one
    sentence in the page that never went through the catalogue."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("ru")._catalog
    key = "Check another certificate"
    russian = catalog[key]
    catalog[key] = key
    try:
        client.cookies["django_language"] = "ru"
        with translation.override(None):
            html = client.get("/verify/" + "x" * 32 + "/").content.decode()
    finally:
        catalog[key] = russian
    html = html.replace("</main>", "<p>Nothing was found here.</p></main>")
    flagged = english_in(visible_strings(html), english_msgids(), ALLOWED_WORDS)
    assert flagged == [
        "Check another certificate  [Check, another, certificate] (a catalogue msgid)",
        "Nothing was found here.  [Nothing, found, here]",
    ]
    # Data and marked text pass: an e-mail, a file name, a code, text in lang="en".
    quiet = (
        '<html lang="ru"><body><p>anna@example.com prüfung.pdf KP-BE-0042</p>'
        '<p lang="en">English</p><p translate="no">Demo Diamonds Ltd</p></body></html>'
    )
    assert english_in(visible_strings(quiet), set(), ALLOWED_WORDS) == []
