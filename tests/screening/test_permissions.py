"""Screening's permission predicates and its transition table, deny-then-allow."""

import pytest

from alliance_portal.states import allowed_actions
from screening.models import HIT_TRANSITIONS, HitStatus
from screening.permissions import can_confirm_hits, can_import_lists, can_triage_hits
from tests.factories import UserFactory, auditor, decider, member_with

pytestmark = pytest.mark.django_db


def test_only_staff_triage_and_only_decision_makers_confirm():
    _member, signatory = member_with()
    staff, boss, reader = UserFactory(staff=True), decider(), auditor()
    for nobody in (None, signatory, reader):
        assert not can_triage_hits(nobody)
        assert not can_confirm_hits(nobody)
        assert not can_import_lists(nobody)
    assert can_triage_hits(staff) and can_import_lists(staff)
    assert not can_confirm_hits(staff)
    assert can_triage_hits(boss) and can_confirm_hits(boss)
    boss.is_active = False
    assert not can_confirm_hits(boss) and not can_triage_hits(boss)


def test_the_hit_lifecycle_table():
    H = HitStatus
    assert allowed_actions(HIT_TRANSITIONS, H.NEW) == ["start_review", "false_positive"]
    assert allowed_actions(HIT_TRANSITIONS, H.UNDER_REVIEW) == ["false_positive", "confirm"]
    assert allowed_actions(HIT_TRANSITIONS, H.FALSE_POSITIVE) == []
    assert allowed_actions(HIT_TRANSITIONS, H.CONFIRMED) == []
    assert {a: t.target for a, t in HIT_TRANSITIONS.items()} == {
        "start_review": H.UNDER_REVIEW,
        "false_positive": H.FALSE_POSITIVE,
        "confirm": H.CONFIRMED,
    }
