"""Screening's periodic jobs are in the jobs registry and on the beat schedule."""

from io import StringIO

import pytest
from django.core.management import call_command

from alliance_portal.celery import app as celery_app
from compliance.services.jobs_registry import JOBS
from screening.models import Hit, ListVersion
from screening.services import (
    list_import,
    subjects_rescreen_all,
    subjects_screen_pending,
    versions_screen_pending,
)
from tests.factories import MemberFactory

from .helpers import SIDOROV, SIDOROV_ENTRY, owner, write_ftm

SCREENING_JOBS = {
    "screen_pending_subjects": subjects_screen_pending,
    "screen_new_list_versions": versions_screen_pending,
    "rescreen_everyone": subjects_rescreen_all,
}


def test_the_jobs_are_registered_and_scheduled():
    for name, job in SCREENING_JOBS.items():
        assert JOBS[name] is job
    scheduled = {
        entry["args"][0]
        for entry in celery_app.conf.beat_schedule.values()
        if entry["task"] == "compliance.tasks.run_job"
    }
    assert set(SCREENING_JOBS) <= scheduled


@pytest.mark.django_db
def test_an_import_whose_screening_was_interrupted_is_screened_by_the_job(tmp_path):
    owner(member=MemberFactory(), **SIDOROV)
    subjects_screen_pending()
    # Imported without screening (the process stopped after the import's commit).
    list_import(
        actor=None, source_slug="l", path=write_ftm(tmp_path / "l.json", [SIDOROV_ENTRY]), fmt="ftm"
    )
    assert ListVersion.objects.get().screened_at is None
    out = StringIO()
    call_command("run_job", "screen_new_list_versions", stdout=out)
    assert "'hits': 1" in out.getvalue()
    assert ListVersion.objects.get().screened_at is not None
    call_command("run_job", "screen_new_list_versions", stdout=StringIO())
    assert Hit.objects.count() == 1
