"""The Russian catalogue is complete and up to date with the code and templates."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"
SOURCES = [
    "alliance_portal",
    "members",
    "licensing",
    "compliance",
    "screening",
    "trust",
    "workbench",
    "api",
    "templates",
    "locale",
]


def _ids(po: polib.POFile) -> set[str]:
    return {entry.msgid for entry in po if not entry.obsolete}


def test_every_message_is_translated():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext (Debian: gettext)")
def test_catalogue_holds_every_message_in_the_code(tmp_path):
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--verbosity", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    fresh = _ids(polib.pofile(str(tmp_path / CATALOGUE.relative_to(ROOT))))
    committed = _ids(polib.pofile(str(CATALOGUE)))
    assert sorted(fresh - committed) == [], "run: make messages-update, then translate"
    assert sorted(committed - fresh) == [], "stale entries: run make messages-update"
