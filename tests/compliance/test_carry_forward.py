"""Carrying answers forward: a new review offers the last accepted answer per criterion with
its still-valid evidence; one click keeps it, "keep all" keeps every unanswered one."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance import selectors, services
from compliance.models import Answer, AnswerEvidence
from members.models import Membership, Role
from tests.editions import accepted_with_evidence
from tests.factories import (
    UserFactory,
    answer_everything,
    cycle_for,
    licence_in,
    member_with,
    signatory_of,
)
from tests.files import pdf_bytes


def _answer(cycle, code) -> Answer:
    return Answer.objects.select_related("criterion").get(cycle=cycle, criterion__code=code)


def _names(answer: Answer) -> list[str]:
    return sorted(e.document.original_name for e in answer.evidence.select_related("document"))


@pytest.fixture
def last_year(staff_user):
    """A member's accepted review: 1.1 with one valid, one undated and one expired document;
    1.2 with an expired one only; and this year's review opened after it."""
    today = timezone.localdate()
    licence = licence_in("active")
    past = accepted_with_evidence(
        staff_user,
        licence,
        {
            "1.1": {
                "evidence-1.1.pdf": today + timedelta(days=90),
                "undated.pdf": None,
                "expired.pdf": today - timedelta(days=3),
            },
            "1.2": {"evidence-1.2.pdf": today - timedelta(days=1)},
        },
    )
    signatory = signatory_of(licence.member)
    current = services.cycle_open(actor=staff_user, member=licence.member, kind="periodic")
    return {"past": past, "current": current, "signatory": signatory}


@pytest.mark.django_db
class TestKeepOne:
    def test_a_new_cycle_under_the_same_edition_offers_and_pre_fills_nothing(self, last_year):
        current = last_year["current"]
        assert not Answer.objects.filter(cycle=current).exclude(answer="").exists()
        carry = selectors.carry_forward_for(current)
        offer = carry.offers[_answer(current, "1.1").criterion_id]
        assert offer.source == _answer(last_year["past"], "1.1")
        assert sorted(d.original_name for d in offer.valid) == ["evidence-1.1.pdf", "undated.pdf"]
        assert [d.original_name for d in offer.expired] == ["expired.pdf"]
        # Every criterion answered last time is offered (not-applicable ones too).
        assert len(carry.offers) == current.answers.count()

    def test_keeping_copies_the_answer_and_only_the_still_valid_evidence(self, last_year):
        current, signatory = last_year["current"], last_year["signatory"]
        criterion = _answer(current, "1.1").criterion
        carried = services.answer_carry_forward(actor=signatory, cycle=current, criterion=criterion)
        row = _answer(current, "1.1")
        assert (row.answer, row.explanation) == ("compliant", "Our policy for 1.1.")
        assert row.carried_from == _answer(last_year["past"], "1.1")
        assert _names(row) == ["evidence-1.1.pdf", "undated.pdf"]
        assert [d.original_name for d in carried.expired] == ["expired.pdf"]
        event = AuditEvent.objects.filter(action="cycle.answers_carried_forward").get()
        assert event.actor == signatory and event.payload["criteria"] == ["1.1"]
        assert len(event.payload["expired_left_behind"]) == 1

    def test_an_answer_whose_only_evidence_expired_is_kept_without_it(self, last_year):
        current, signatory = last_year["current"], last_year["signatory"]
        services.answer_carry_forward(
            actor=signatory, cycle=current, criterion=_answer(current, "1.2").criterion
        )
        row = _answer(current, "1.2")
        assert row.answer == "compliant" and _names(row) == []
        assert "evidence" in " ".join(selectors.answer_gaps(row))  # must upload a current one

    def test_the_first_review_has_nothing_to_keep(self, staff_user):
        cycle = cycle_for("open")
        with pytest.raises(ValidationError, match="no accepted answer"):
            services.answer_carry_forward(
                actor=signatory_of(cycle.member),
                cycle=cycle,
                criterion=cycle.answers.first().criterion,
            )

    def test_a_viewer_may_not_keep(self, last_year):
        current = last_year["current"]
        viewer = UserFactory()
        Membership.objects.create(user=viewer, member=current.member, role=Role.VIEWER)
        with pytest.raises(PermissionDenied):
            services.answer_carry_forward(
                actor=viewer, cycle=current, criterion=_answer(current, "1.1").criterion
            )
        assert _answer(current, "1.1").carried_from is None

    def test_changing_a_kept_answer_or_its_evidence_makes_it_the_members_own(self, last_year):
        current, signatory = last_year["current"], last_year["signatory"]
        for code in ("1.1", "2.1"):
            services.answer_carry_forward(
                actor=signatory, cycle=current, criterion=_answer(current, code).criterion
            )
        row = _answer(current, "1.1")
        # Saved again as it is (the page saves on every change): still the kept answer.
        services.answer_save(
            actor=signatory,
            cycle=current,
            criterion=row.criterion,
            answer=row.answer,
            explanation=row.explanation,
        )
        assert _answer(current, "1.1").carried_from_id is not None
        services.answer_save(
            actor=signatory,
            cycle=current,
            criterion=row.criterion,
            answer="partial",
            explanation="Changed this year.",
        )
        assert _answer(current, "1.1").carried_from_id is None
        services.evidence_add(
            actor=signatory,
            cycle=current,
            criterion=_answer(current, "2.1").criterion,
            uploaded_file=SimpleUploadedFile("new.pdf", pdf_bytes()),
        )
        assert _answer(current, "2.1").carried_from_id is None


@pytest.mark.django_db
class TestKeepAll:
    def test_keep_all_fills_only_the_unanswered_criteria(self, last_year):
        current, signatory = last_year["current"], last_year["signatory"]
        services.answer_save(
            actor=signatory,
            cycle=current,
            criterion=_answer(current, "2.1").criterion,
            answer="partial",
            explanation="This year's own answer.",
        )
        carried = services.cycle_carry_forward_all(actor=signatory, cycle=current)
        assert len(carried) == current.answers.count() - 1
        own = _answer(current, "2.1")
        assert (own.answer, own.carried_from_id) == ("partial", None)
        assert _answer(current, "1.1").carried_from_id is not None
        assert _names(_answer(current, "1.1")) == ["evidence-1.1.pdf", "undated.pdf"]
        # A second click has nothing left to keep and records nothing.
        events = AuditEvent.objects.count()
        assert services.cycle_carry_forward_all(actor=signatory, cycle=current) == []
        assert AuditEvent.objects.count() == events

    def test_a_submitted_cycle_keeps_nothing(self, last_year):
        current, signatory = last_year["current"], last_year["signatory"]
        answer_everything(current, signatory)
        services.cycle_submit(actor=signatory, cycle=current, typed_name="Ivan", declared=True)
        with pytest.raises(ValidationError, match="can no longer be changed"):
            services.cycle_carry_forward_all(actor=signatory, cycle=current)


@pytest.mark.django_db
class TestPages:
    def test_the_page_offers_and_after_a_click_shows_unchanged_since_the_last_review(
        self, client, last_year
    ):
        current, signatory = last_year["current"], last_year["signatory"]
        client.force_login(signatory)
        page = client.get(reverse("compliance:cycle_detail", args=[current.pk])).content.decode()
        assert page.count('class="btn btn-sm btn-outline-success keep-answer"') == 12
        assert "12 unanswered criteria can keep their answers" in page
        assert "“expired.pdf” expired on" in page
        criterion = _answer(current, "1.1").criterion
        response = client.post(
            reverse("compliance:answer_keep", args=[current.pk, criterion.pk]), follow=True
        )
        html = response.content.decode()
        assert "1.1: last review&#x27;s answer kept." in html
        assert "“expired.pdf” expired on" in html and "was not kept" in html
        assert html.count("Unchanged since the last review · last confirmed on") == 1
        assert html.count("keep-answer") == 11
        response = client.post(reverse("compliance:cycle_keep_all", args=[current.pk]))
        assert response.status_code == 302
        assert Answer.objects.filter(cycle=current, carried_from__isnull=False).count() == 12

    def test_another_member_gets_404_and_keeps_nothing(self, client, last_year):
        current = last_year["current"]
        _other, outsider = member_with(Role.SIGNATORY)
        criterion = _answer(current, "1.1").criterion
        urls = [
            reverse("compliance:answer_keep", args=[current.pk, criterion.pk]),
            reverse("compliance:cycle_keep_all", args=[current.pk]),
        ]
        client.force_login(outsider)
        for url in urls:
            assert client.post(url).status_code == 404
        assert not Answer.objects.filter(cycle=current, carried_from__isnull=False).exists()
        client.force_login(last_year["signatory"])
        for url in urls:
            assert client.get(url).status_code == 405  # an action, not a page
            assert client.post(url).status_code == 302
        assert Answer.objects.filter(cycle=current, carried_from__isnull=False).count() == 12

    def test_anonymous_visitors_are_sent_to_log_in(self, client, last_year):
        url = reverse("compliance:cycle_keep_all", args=[last_year["current"].pk])
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_cycle_page_queries_do_not_grow_with_carried_rows(client, staff_user, settings):
    """The same number of queries with 3 carried-forward rows as with 30, each with its
    evidence and the accepted answer it came from."""
    from licensing.models import Criterion, GuidelinesSection, GuidelinesVersion

    edition = GuidelinesVersion.objects.create(
        edition="wide",
        title_en="Wide",
        title_ru="Широкая",
        adopted_on=timezone.localdate(),
        published_at=timezone.now(),
    )
    section = GuidelinesSection.objects.create(
        version=edition, number=1, title_en="All", title_ru="Все"
    )
    Criterion.objects.bulk_create(
        Criterion(
            section=section,
            code=f"1.{n}",
            position=n,
            title_en=f"Rule {n}",
            title_ru=f"Правило {n}",
            description_en="Do it.",
            description_ru="Делайте.",
            evidence_en="Proof.",
            evidence_ru="Доказательство.",
        )
        for n in range(1, 31)
    )
    licence = licence_in("active", guidelines=edition)
    past = accepted_with_evidence(staff_user, licence, {"1.1": {"policy.pdf": None}})
    shared = _answer(past, "1.1").evidence.get().document
    AnswerEvidence.objects.bulk_create(
        AnswerEvidence(answer=answer, document=shared)
        for answer in past.answers.exclude(criterion__code="1.1")
    )
    current = services.cycle_open(actor=staff_user, member=licence.member, kind="periodic")
    signatory = signatory_of(licence.member)
    answers = list(current.answers.select_related("criterion").order_by("criterion__position"))
    for answer in answers[:3]:
        services.answer_carry_forward(actor=signatory, cycle=current, criterion=answer.criterion)
    client.force_login(signatory)
    url = reverse("compliance:cycle_detail", args=[current.pk])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    assert page.content.decode().count("Unchanged since the last review") == 3
    services.cycle_carry_forward_all(actor=signatory, cycle=current)
    with CaptureQueriesContext(connection) as thirty:
        page = client.get(url)
    assert page.content.decode().count("Unchanged since the last review") == 30
    assert len(thirty) == len(three), [q["sql"] for q in thirty.captured_queries]
