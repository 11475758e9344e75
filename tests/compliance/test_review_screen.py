"""The staff review screen of an attestation: access, the notes' history across rounds,
"raise a finding" pre-filled and checked, evidence previews, the decision and the query budget."""

from datetime import timedelta
from typing import cast
from urllib.parse import urlencode

import lxml.html
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import Answer, Finding, ReviewCycle, ReviewNote
from licensing.models import Criterion, GuidelinesSection, GuidelinesVersion
from members.models import Member, User
from tests.factories import (
    MemberFactory,
    UserFactory,
    answer_everything,
    cycle_for,
    licence_in,
    signatory_of,
)
from tests.files import docx_bytes, pdf_bytes, png_bytes
from tests.helpers import login_with_mfa


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


def find(node, tag: str, css_class: str):
    return node.xpath(
        f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]"
    )


def review(cycle: ReviewCycle) -> str:
    return reverse("admin:compliance_reviewcycle_review", args=[cycle.pk])


def preview(cycle: ReviewCycle, document_id) -> str:
    return reverse("admin:compliance_reviewcycle_evidence_preview", args=[cycle.pk, document_id])


def submitted_cycle(*, evidence: bool = True, licence=None):
    """A cycle answered "not applicable" throughout, with a PDF on its first criterion and a
    picture on its second, submitted by the member's signatory."""
    cycle = cycle_for("open", licence=licence)
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    if evidence:
        first, second = cycle.answers.select_related("criterion")[:2]
        for answer, upload in (
            (first, SimpleUploadedFile("policy.pdf", pdf_bytes())),
            (second, SimpleUploadedFile("signage.png", png_bytes())),
        ):
            services.evidence_add(
                actor=signatory, cycle=cycle, criterion=answer.criterion, uploaded_file=upload
            )
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Signer", declared=True)
    cycle.refresh_from_db()
    return cycle


def staff_without(permission_codename: str | None = None):
    """A staff user (with TOTP) holding only the compliance permissions given."""
    user = cast(User, UserFactory(staff=True))
    user.groups.clear()
    if permission_codename:
        user.user_permissions.add(Permission.objects.get(codename=permission_codename))
    return user


# --- who may see it ------------------------------------------------------------------


@pytest.mark.django_db
def test_only_staff_with_the_view_permission_see_the_review_screen(client):
    cycle = submitted_cycle(evidence=False)
    url = review(cycle)

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    login_with_mfa(client, signatory_of(cycle.member))  # the member's own signatory
    member_view = client.get(url)
    assert member_view.status_code == 302 and "/login/" in member_view["Location"]

    login_with_mfa(client, staff_without())  # staff, but no permission on review cycles
    assert client.get(url).status_code == 403

    login_with_mfa(client, staff_without("view_reviewcycle"))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Not part of our business." in html
    assert "You may read this review but not decide it." in html
    assert 'name="action" value="note"' not in html  # reading only: no note form

    assert client.get(
        reverse("admin:compliance_reviewcycle_review", args=[999999])
    ).status_code == (404)


@pytest.mark.django_db
def test_a_reader_cannot_write_notes_or_decide(client):
    cycle = submitted_cycle(evidence=False)
    answer = cycle.answers.first()
    login_with_mfa(client, staff_without("view_reviewcycle"))
    note = {"action": "note", "answer": answer.pk, f"note-{answer.pk}-note": "Mine."}
    assert client.post(review(cycle), note).status_code == 403
    assert client.post(review(cycle), {"action": "start_review"}).status_code == 403
    cycle.refresh_from_db()
    assert cycle.status == "submitted" and not ReviewNote.objects.exists()


@pytest.mark.django_db
def test_the_screen_lists_every_criterion_by_section_with_the_decision_last(staff_client):
    cycle = submitted_cycle()
    page = staff_client.get(review(cycle))
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.content)
    sections = [" ".join(h.text_content().split()) for h in find(tree, "h2", "review-section")]
    assert sections[0].startswith("1.") and len(sections) == 5
    criteria = find(tree, "section", "review-criterion")
    assert [c.get("id") for c in criteria][-1] == "decision"
    assert len(criteria) - 1 == cycle.answers.count() == 12
    # Submitted: the one step open is to start the review.
    assert [f.get("id") for f in find(tree, "form", "review-decision")] == ["decision-start_review"]
    assert tree.xpath('//script[contains(@src, "js/review.js")]')
    assert not tree.xpath("//script[not(@src)][normalize-space()]")  # CSP: no inline script


# --- evidence in the page ------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_is_previewed_inline_for_the_page_only(staff_client, client):
    cycle = submitted_cycle()
    pdf, png = (a.evidence.get().document for a in cycle.answers.all()[:2])
    page = lxml.html.fromstring(staff_client.get(review(cycle)).content)
    assert [e.get("src") for e in find(page, "iframe", "review-pdf")] == [preview(cycle, pdf.pk)]
    assert [e.get("src") for e in find(page, "img", "review-image")] == [preview(cycle, png.pk)]

    response = staff_client.get(preview(cycle, pdf.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="policy.pdf"')
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("no-store, private")
    image = staff_client.get(preview(cycle, png.pk))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    # The download next to it stays an attachment nobody may frame.
    download = staff_client.get(
        reverse("admin:compliance_reviewcycle_evidence", args=[cycle.pk, pdf.pk])
    )
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Frame-Options"] == "DENY"

    # Another cycle's address for the same file is no way in; nor is a stranger.
    other = submitted_cycle(evidence=False)
    assert staff_client.get(preview(other, pdf.pk)).status_code == 404
    login_with_mfa(client, signatory_of(cycle.member))
    assert client.get(preview(cycle, pdf.pk)).status_code == 302
    login_with_mfa(client, staff_without())
    assert client.get(preview(cycle, pdf.pk)).status_code == 403


@pytest.mark.django_db
def test_files_a_browser_cannot_show_are_not_previewed(staff_client):
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    answer = cycle.answers.select_related("criterion").first()
    services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=answer.criterion,
        uploaded_file=SimpleUploadedFile("register.docx", docx_bytes()),
    )
    document = answer.evidence.get().document
    assert staff_client.get(preview(cycle, document.pk)).status_code == 404
    html = staff_client.get(review(cycle)).content.decode()
    assert "No preview for this kind of file: download it." in html
    assert preview(cycle, document.pk) not in html


# --- notes keep their history ------------------------------------------------------------


def note(client, cycle, answer, text):
    return client.post(
        review(cycle), {"action": "note", "answer": answer.pk, f"note-{answer.pk}-note": text}
    )


@pytest.mark.django_db
def test_notes_keep_their_history_across_rounds(staff_client, staff_user):
    cycle = submitted_cycle(evidence=False)
    signatory = signatory_of(cycle.member)
    first, second = cycle.answers.select_related("criterion")[:2]
    assert staff_client.post(review(cycle), {"action": "start_review"}).status_code == 302

    saved = note(staff_client, cycle, first, "Attach the KP certificates.")
    assert saved.status_code == 302
    assert saved["Location"] == f"{review(cycle)}#criterion-{first.criterion_id}"
    changes = {"action": "request_changes", "request_changes-note": "See the notes."}
    assert staff_client.post(review(cycle), changes).status_code == 302

    # Round 2: the member changes the first answer only, and submits again.
    services.answer_save(
        actor=signatory,
        cycle=cycle,
        criterion=first.criterion,
        answer="partial",
        explanation="Certificates for half the year are attached.",
    )
    services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=first.criterion,
        uploaded_file=SimpleUploadedFile("kp.pdf", pdf_bytes()),
    )
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Signer", declared=True)
    assert staff_client.post(review(cycle), {"action": "start_review"}).status_code == 302
    assert note(staff_client, cycle, first, "Now the second half, please.").status_code == 302

    history = list(ReviewNote.objects.filter(answer=first).values_list("round", "text", "author"))
    assert history == [
        (1, "Attach the KP certificates.", staff_user.pk),
        (2, "Now the second half, please.", staff_user.pk),
    ]
    assert Answer.objects.get(pk=first.pk).reviewer_note == "Now the second half, please."

    page = lxml.html.fromstring(staff_client.get(review(cycle)).content)
    row = page.get_element_by_id(f"criterion-{first.criterion_id}")
    notes = [
        " ".join(li.text_content().split())
        for li in find(row, "ol", "review-note-history")[0].xpath("./li")
    ]
    assert notes[0].startswith("Round 1") and notes[0].endswith("Attach the KP certificates.")
    assert notes[1].startswith("Round 2") and notes[1].endswith("Now the second half, please.")
    # What changed since round 1 is shown beside it, and only there.
    previous = find(row, "div", "review-previous")
    assert previous and "It was: Not applicable" in " ".join(previous[0].text_content().split())
    assert "Not part of our business." in previous[0].text_content()
    other = page.get_element_by_id(f"criterion-{second.criterion_id}")
    assert not find(other, "div", "review-previous")
    assert "round 1 of this review" in page.get_element_by_id("review-compared-with").text_content()


@pytest.mark.django_db
def test_a_first_round_is_compared_with_the_last_accepted_review(staff_client, staff_user):
    licence = licence_in("active")
    past = submitted_cycle(evidence=False, licence=licence)
    services.cycle_start_review(actor=staff_user, cycle=past)
    services.cycle_accept(actor=staff_user, cycle=past, grade="compliant")
    current = cycle_for("open", licence=licence)
    signatory = signatory_of(licence.member)
    answer_everything(current, signatory)
    changed = current.answers.select_related("criterion").last()
    services.answer_save(
        actor=signatory,
        cycle=current,
        criterion=changed.criterion,
        answer="not_applicable",
        explanation="We no longer publish a report.",
    )
    services.cycle_submit(actor=signatory, cycle=current, typed_name="Signer", declared=True)

    page = lxml.html.fromstring(staff_client.get(review(current)).content)
    assert (
        "the last accepted review" in page.get_element_by_id("review-compared-with").text_content()
    )
    assert len(find(page, "div", "review-previous")) == 1
    row = page.get_element_by_id(f"criterion-{changed.criterion_id}")
    assert "Not part of our business." in find(row, "div", "review-previous")[0].text_content()


@pytest.mark.django_db
def test_a_bad_note_is_refused_and_nothing_is_saved(staff_client):
    cycle = submitted_cycle(evidence=False)
    answer = cycle.answers.first()
    too_long = note(staff_client, cycle, answer, "x" * 2001)
    assert too_long.status_code == 400
    assert "Ensure this value has at most 2000 characters" in too_long.content.decode()
    stranger = submitted_cycle(evidence=False).answers.first()
    assert note(staff_client, cycle, stranger, "Not this cycle's.").status_code == 404
    bad_id = {"action": "note", "answer": "x1"}
    assert staff_client.post(review(cycle), bad_id).status_code == 404
    assert not ReviewNote.objects.exists()
    assert Answer.objects.filter(reviewer_note="").count() == Answer.objects.count()


@pytest.mark.django_db
def test_the_change_page_inline_keeps_history_too(staff_user):
    cycle = submitted_cycle(evidence=False)
    answer = cycle.answers.first()
    services.answer_note(actor=staff_user, answer=answer, note="First.")
    services.answer_note(actor=staff_user, answer=answer, note="First.")  # unchanged: no row
    services.answer_note(actor=staff_user, answer=answer, note="")
    texts = list(ReviewNote.objects.values_list("text", flat=True))
    assert texts == ["First.", ""]


@pytest.mark.django_db
def test_the_migration_keeps_notes_written_before(staff_user):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("compliance.migrations.0009_review_notes_history")
    cycle = submitted_cycle(evidence=False)
    Answer.objects.filter(pk=cycle.answers.first().pk).update(reviewer_note="Old note.")
    migration.keep_current_notes(apps, None)
    (kept,) = ReviewNote.objects.all()
    assert (kept.text, kept.round, kept.author) == ("Old note.", 1, None)


# --- the decision ----------------------------------------------------------------------


@pytest.mark.django_db
def test_accept_with_a_grade_from_the_screen(staff_client, staff_user):
    cycle = submitted_cycle(evidence=False)
    staff_client.post(review(cycle), {"action": "start_review"})
    page = lxml.html.fromstring(staff_client.get(review(cycle)).content)
    assert [f.get("id") for f in find(page, "form", "review-decision")] == [
        "decision-accept",
        "decision-request_changes",
        "decision-reject",
    ]
    refused = staff_client.post(review(cycle), {"action": "accept", "accept-grade": "stellar"})
    assert refused.status_code == 400
    assert ReviewCycle.objects.get(pk=cycle.pk).status == "in_review"
    not_open = staff_client.post(review(cycle), {"action": "start_review"})
    assert not_open.status_code == 302
    accepted = staff_client.post(
        review(cycle), {"action": "accept", "accept-grade": "minor", "accept-note": "Fine."}
    )
    assert accepted.status_code == 302 and accepted["Location"].endswith("#decision")
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome, cycle.decided_by) == ("accepted", "minor", staff_user)
    done = staff_client.get(review(cycle)).content.decode()
    assert "Outcome: Minor non-conformity" in done and "No step is open" in done
    assert 'value="note"' not in done  # a decided review takes no more notes


# --- raise a finding from a criterion ----------------------------------------------------


def raise_url(**params) -> str:
    return reverse("admin:compliance_finding_add") + "?" + urlencode(params)


def selected(html: bytes, name: str) -> list[str]:
    options = lxml.html.fromstring(html).xpath(f'//select[@name="{name}"]/option[@selected]/@value')
    return [value for value in options if value]  # not the empty choice


@pytest.mark.django_db
def test_raise_a_finding_pre_filled_from_a_criterion_and_come_back(staff_client):
    cycle = submitted_cycle(evidence=False)
    criterion = cycle.answers.select_related("criterion")[3].criterion
    page = lxml.html.fromstring(staff_client.get(review(cycle)).content)
    link = page.get_element_by_id(f"criterion-{criterion.pk}").xpath(
        ".//a[contains(@class, 'review-raise')]"
    )[0]
    url = link.get("href")
    assert url == raise_url(
        member=cycle.member_id, cycle=cycle.pk, criterion=criterion.pk, from_review=1
    )

    form = staff_client.get(url)
    assert form.status_code == 200
    assert selected(form.content, "cycle") == [str(cycle.pk)]
    assert selected(form.content, "criterion") == [str(criterion.pk)]

    saved = staff_client.post(
        url,
        {
            "cycle": cycle.pk,
            "criterion": criterion.pk,
            "severity": "minor",
            "description": "The policy is out of date.",
            "corrective_action": "Adopt the current one.",
            "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert saved.status_code == 302
    assert saved["Location"] == f"{review(cycle)}#criterion-{criterion.pk}"
    finding = Finding.objects.get()
    assert (finding.cycle, finding.criterion) == (cycle, criterion)
    back = lxml.html.fromstring(staff_client.get(review(cycle)).content)
    row = back.get_element_by_id(f"criterion-{criterion.pk}")
    assert "The policy is out of date." in row.text_content()


@pytest.mark.django_db
def test_a_pre_fill_that_does_not_fit_is_refused_with_a_reason(staff_client):
    cycle = submitted_cycle(evidence=False)
    criterion = cycle.answers.first().criterion
    other = Member.objects.exclude(pk=cycle.member_id).first() or licence_in("active").member

    wrong_member = staff_client.get(
        raise_url(member=other.pk, cycle=cycle.pk, criterion=criterion.pk)
    )
    assert wrong_member.status_code == 400
    assert "The review cycle belongs to another member." in wrong_member.content.decode()
    assert selected(wrong_member.content, "cycle") == []

    edition = GuidelinesVersion.objects.create(
        edition="3rd edition", title_en="Guidelines", title_ru="Принципы", adopted_on="2026-01-01"
    )
    section = GuidelinesSection.objects.create(
        version=edition, number=1, title_en="KP", title_ru="КП"
    )
    foreign = Criterion.objects.create(
        section=section,
        code="1.1",
        title_en="KP",
        title_ru="КП",
        description_en="d",
        description_ru="d",
        evidence_en="e",
        evidence_ru="e",
    )
    wrong_edition = staff_client.get(
        raise_url(member=cycle.member_id, cycle=cycle.pk, criterion=foreign.pk)
    )
    assert wrong_edition.status_code == 400
    assert "The criterion is not one of this cycle" in wrong_edition.content.decode()
    assert selected(wrong_edition.content, "criterion") == []

    for broken in (raise_url(cycle="x"), raise_url(cycle=999999), raise_url(criterion=10**30)):
        response = staff_client.get(broken)
        assert response.status_code == 400, broken
    # Without parameters the form is the ordinary empty one.
    assert staff_client.get(reverse("admin:compliance_finding_add")).status_code == 200


# --- links and the query budget ------------------------------------------------------------


@pytest.mark.django_db
def test_the_change_page_and_the_list_link_to_the_screen(staff_client):
    cycle = submitted_cycle(evidence=False)
    change = staff_client.get(reverse("admin:compliance_reviewcycle_change", args=[cycle.pk]))
    assert review(cycle) in change.content.decode()
    listing = staff_client.get(reverse("admin:compliance_reviewcycle_changelist"))
    assert review(cycle) in listing.content.decode()


def _grow(cycle: ReviewCycle, staff_user, members: int) -> None:
    """Many more members, and every criterion of the cycle evidenced, noted and with a
    finding: what the screen reads grows, its queries must not."""
    Member.objects.bulk_create(MemberFactory.build_batch(members))
    signatory = signatory_of(cycle.member)
    ReviewCycle.objects.filter(pk=cycle.pk).update(status="open")
    for answer in cycle.answers.select_related("criterion"):
        services.evidence_add(
            actor=signatory,
            cycle=cycle,
            criterion=answer.criterion,
            uploaded_file=SimpleUploadedFile(f"{answer.criterion.code}.png", png_bytes()),
        )
        services.answer_note(actor=staff_user, answer=answer, note=f"On {answer.criterion.code}.")
        Finding.objects.create(
            cycle=cycle,
            criterion=answer.criterion,
            severity="minor",
            description="Found.",
            corrective_action="Fix.",
            due_on=timezone.localdate() + timedelta(days=30),
            raised_by=staff_user,
        )
    ReviewCycle.objects.filter(pk=cycle.pk).update(status="in_review")


@pytest.mark.django_db
def test_queries_do_not_grow_with_members_or_criteria(staff_client, staff_user):
    cycle = submitted_cycle(evidence=False)
    Member.objects.bulk_create(MemberFactory.build_batch(10 - Member.objects.count()))
    assert Member.objects.count() == 10
    staff_client.get(review(cycle))  # warm the session and permission caches alike
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(review(cycle)).status_code == 200

    _grow(cycle, staff_user, 990)
    assert Member.objects.count() == 1000
    with CaptureQueriesContext(connection) as large:
        page = staff_client.get(review(cycle))
    assert page.status_code == 200
    assert page.content.decode().count('class="review-image"') == 12
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 13  # session, user, MFA, permissions, the cycle and its rows
