"""Carrying answers forward in a real browser (Debian's Chromium): a member keeps last year's
answers with one click, changes one, and under a new Guidelines edition acknowledges it and
answers the changed and new criteria while the unchanged ones are already filled in."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from compliance import services
from compliance.models import Answer
from tests.editions import accepted_with_evidence, publish, third_edition
from tests.factories import PASSWORD, UserFactory, licence_in, signatory_of


def _log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def _answer_in_page(page, code: str, choice: str, explanation: str) -> None:
    row = page.locator(f"#criterion-{code.replace('.', '')}")
    row.get_by_label(choice, exact=True).check()
    row.get_by_label("Explanation").fill(explanation)
    row.get_by_label("Explanation").press("Tab")  # the change event saves it
    expect(page.locator(f"#state-{code.replace('.', '')}")).to_have_text("Saved")


def _last_year(staff):
    """Accepting the review signs its certificate (pyHanko runs an event loop), which cannot
    happen in this thread beside Playwright's: done in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_accept_last_year, staff).result()


def _accept_last_year(staff):
    try:
        return _accepted_last_year(staff)
    finally:
        connections.close_all()


def _accepted_last_year(staff):
    today = timezone.localdate()
    licence = licence_in("active")
    accepted_with_evidence(
        staff,
        licence,
        {
            "1.1": {"kp.pdf": today + timedelta(days=120), "old-kp.pdf": today - timedelta(1)},
            "2.4": {"supply.pdf": None},
        },
    )
    return licence


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keep_last_years_answers_with_one_click_and_change_one(page):
    staff = UserFactory(staff=True)
    licence = _last_year(staff)
    cycle = services.cycle_open(actor=staff, member=licence.member, kind="periodic")
    _log_in(page, signatory_of(licence.member).email)
    page.goto(f"/portal/cycles/{cycle.pk}/")
    expect(page.locator(".keep-all")).to_contain_text("12 unanswered criteria can keep")
    expect(page.locator("#criterion-11 .carry-offer")).to_contain_text("“old-kp.pdf” expired on")
    page.get_by_role("button", name="Keep all unchanged").click()
    expect(page.get_by_text("12 answers kept from the last review.")).to_be_visible()
    expect(page.get_by_text("“old-kp.pdf” expired on", exact=False).first).to_be_visible()
    expect(page.locator(".carried-note")).to_have_count(12)
    expect(page.locator("#progress")).to_contain_text("12 of 12 criteria complete")
    _answer_in_page(page, "2.4", "Partially compliant", "Polished suppliers are not yet covered.")

    rows = {
        a.criterion.code: a for a in Answer.objects.filter(cycle=cycle).select_related("criterion")
    }
    assert sum(1 for a in rows.values() if a.carried_from_id) == 11
    assert (rows["2.4"].answer, rows["2.4"].carried_from_id) == ("partial", None)
    assert [e.document.original_name for e in rows["1.1"].evidence.all()] == ["kp.pdf"]
    page.reload()
    expect(page.locator(".carried-note")).to_have_count(11)
    expect(page.locator("#criterion-24 .carried-note")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_under_a_new_edition_acknowledge_it_then_answer_the_changed_and_new_criteria(page):
    staff = UserFactory(staff=True)
    licence = _last_year(staff)
    publish(staff, third_edition(staff))
    cycle = services.cycle_open(actor=staff, member=licence.member, kind="periodic")
    _log_in(page, signatory_of(licence.member).email)
    page.goto(f"/portal/cycles/{cycle.pk}/")
    expect(page.locator(".acknowledge-first")).to_contain_text("must acknowledge the new edition")
    page.get_by_role("link", name="Read and acknowledge the new edition").click()
    expect(page.locator(".edition-changes")).to_contain_text("2.4")
    page.get_by_label("Your full name").fill("Ivan Signer")
    page.get_by_label("I acknowledge the new edition for the company.").check()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("The 3rd edition is acknowledged.")).to_be_visible()

    page.goto(f"/portal/cycles/{cycle.pk}/")
    expect(page.locator(".carried-note")).to_have_count(10)
    expect(page.locator("#criterion-11 .carried-note")).to_contain_text(
        "Unchanged since the last review"
    )
    expect(page.locator("#criterion-24 .edition-change")).to_contain_text(
        "Changed in the 3rd edition (it was 2.4): please answer it again."
    )
    expect(page.locator("#criterion-13 .edition-change")).to_contain_text("New in the 3rd edition")
    _answer_in_page(page, "2.4", "Compliant", "Polished suppliers are assessed as well now.")
    _answer_in_page(page, "1.3", "Not applicable", "We sell no rough of known origin.")
    expect(page.locator("#progress")).to_contain_text("11 of 12 criteria complete")  # 2.4 evidence

    rows = {
        a.criterion.code: a for a in Answer.objects.filter(cycle=cycle).select_related("criterion")
    }
    assert rows["2.4"].answer == "compliant" and rows["2.4"].carried_from_id is None
    assert rows["1.3"].answer == "not_applicable"
    assert rows["1.1"].carried_from_id is not None
