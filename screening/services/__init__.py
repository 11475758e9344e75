"""Screening's writes: list imports, screening jobs and hit triage."""

from .hits import (
    confirm_refusal,
    hit_confirm,
    hit_mark_false_positive,
    hit_propose_confirm,
    hit_start_review,
)
from .imports import list_import, list_version_write
from .screen import (
    hits_raise,
    subjects_rescreen_all,
    subjects_screen_pending,
    subjects_sync,
    version_screen,
    versions_screen_pending,
)

JOBS = {
    "screen_pending_subjects": subjects_screen_pending,
    "screen_new_list_versions": versions_screen_pending,
    "rescreen_everyone": subjects_rescreen_all,
}

__all__ = [
    "JOBS",
    "confirm_refusal",
    "hit_confirm",
    "hit_mark_false_positive",
    "hit_propose_confirm",
    "hit_start_review",
    "hits_raise",
    "list_import",
    "list_version_write",
    "subjects_rescreen_all",
    "subjects_screen_pending",
    "subjects_sync",
    "version_screen",
    "versions_screen_pending",
]
