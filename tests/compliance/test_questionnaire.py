"""The attestation as a questionnaire: sections with their progress, the next unanswered
criterion, the member's evidence library, the review page's gaps and the named declaration."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance_portal.models import AuditEvent
from compliance import selectors, services
from compliance.models import AnswerEvidence, Submission
from members.models import Membership, Role
from tests.factories import UserFactory, cycle_for, member_with, signatory_of
from tests.files import pdf_bytes
from tests.helpers import login_with_password

HTMX = {"hx-request": "true"}


def _upload(cycle, actor, code, name="policy.pdf"):
    return services.evidence_add(
        actor=actor,
        cycle=cycle,
        criterion=cycle.answers.get(criterion__code=code).criterion,
        uploaded_file=SimpleUploadedFile(name, pdf_bytes()),
    )


def _answer(cycle, actor, code, answer="compliant", explanation=""):
    services.answer_save(
        actor=actor,
        cycle=cycle,
        criterion=cycle.answers.get(criterion__code=code).criterion,
        answer=answer,
        explanation=explanation,
    )


def _criterion_pk(cycle, code):
    return cycle.answers.get(criterion__code=code).criterion_id


@pytest.fixture
def cycle(db):
    return cycle_for("open")


@pytest.fixture
def signatory(cycle):
    return signatory_of(cycle.member)


@pytest.mark.django_db
class TestSections:
    def test_each_section_counts_its_answered_and_complete_criteria(self, cycle, signatory):
        first, second = [a.criterion for a in cycle.answers.select_related("criterion")][:2]
        section = first.section
        _answer(cycle, signatory, first.code)  # answered, but no evidence yet
        _answer(cycle, signatory, second.code, "not_applicable", "Not our trade.")
        sections = selectors.cycle_sections(selectors.cycle_for_user(signatory, cycle.pk))
        by_number = {entry.section.number: entry for entry in sections}
        in_section = cycle.answers.filter(criterion__section=section).count()
        expected_answered = 1 + (second.section_id == section.pk)
        entry = by_number[section.number]
        assert (entry.answered, entry.total) == (expected_answered, in_section)
        # Compliant without evidence is answered, not complete; not applicable is both.
        assert entry.complete == (second.section_id == section.pk)
        assert sum(e.total for e in sections) == cycle.answers.count()
        assert [e.section.number for e in sections] == sorted(by_number)

    def test_the_page_shows_each_sections_progress_and_the_next_unanswered(
        self, client, cycle, signatory
    ):
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        _answer(cycle, signatory, codes[0])
        client.force_login(signatory)
        html = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
        sections = selectors.cycle_sections(selectors.cycle_for_user(signatory, cycle.pk))
        for entry in sections:
            assert f'href="#section-{entry.section.number}"' in html
            assert f'id="section-{entry.section.number}"' in html
            assert f"{entry.answered}/{entry.total} answered" in html
        slug = codes[1].replace(".", "")
        assert re.search(rf'id="next-unanswered" href="#criterion-{slug}">Next unanswered: ', html)

    def test_next_unanswered_moves_on_as_answers_are_saved(self, client, cycle, signatory):
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        client.force_login(signatory)
        for index, code in enumerate(codes[:3]):
            response = client.post(
                reverse("compliance:answer_save", args=[cycle.pk, _criterion_pk(cycle, code)]),
                {"answer": "compliant"},
                headers=HTMX,
            )
            assert response.status_code == 200
            html = response.content.decode()
            # The section list comes back out of band with the next criterion to answer.
            assert 'id="section-nav"' in html and 'hx-swap-oob="true"' in html
            assert f"Next unanswered: {codes[index + 1]}" in html

    def test_when_all_are_answered_it_points_at_the_first_incomplete(self, cycle, signatory):
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        for code in codes:
            _answer(cycle, signatory, code, "not_applicable", "Not our trade.")
        _answer(cycle, signatory, codes[4], "compliant")
        progress = selectors.cycle_progress(selectors.cycle_for_user(signatory, cycle.pk))
        assert progress.next_unanswered is None
        assert progress.missing[0][0] == codes[4]


@pytest.mark.django_db
class TestEvidenceLibrary:
    def test_one_upload_attached_to_a_second_criterion_without_re_uploading(
        self, client, cycle, signatory
    ):
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        evidence = _upload(cycle, signatory, codes[0])
        client.force_login(signatory)
        html = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
        assert 'id="evidence-library"' in html and f"used for {codes[0]}" in html
        url = reverse("compliance:evidence_attach", args=[cycle.pk, _criterion_pk(cycle, codes[1])])
        events = AuditEvent.objects.filter(action="cycle.evidence_attached").count()
        response = client.post(url, {"document": str(evidence.document_id)}, headers=HTMX)
        assert response.status_code == 200
        links = AnswerEvidence.objects.filter(document=evidence.document)
        assert sorted(links.values_list("answer__criterion__code", flat=True)) == codes[:2]
        assert AuditEvent.objects.filter(action="cycle.evidence_attached").count() == events + 1
        body = response.content.decode()
        assert f"used for {codes[0]}, {codes[1]}" in body  # the library, out of band
        # The second criterion now has its evidence; the document was stored once.
        assert selectors.evidence_library_of(cycle.member).count() == 1
        again = client.post(url, {"document": str(evidence.document_id)}, headers=HTMX)
        assert again.status_code == 400 and "already attached" in again.content.decode()
        assert links.count() == 2

    def test_a_library_from_an_earlier_cycle_is_offered(self, client, cycle, signatory):
        earlier = cycle_for("accepted", licence=cycle.licence)
        old = AnswerEvidence.objects.create(
            answer=earlier.answers.first(),
            document=_upload(cycle, signatory, "1.1").document,
        )
        AnswerEvidence.objects.filter(answer__cycle=cycle).delete()
        client.force_login(signatory)
        html = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
        assert f'<option value="{old.document_id}">' in html
        assert "from an earlier attestation" in html

    def test_another_members_document_is_never_attached(self, client, cycle, signatory):
        stranger_cycle = cycle_for("open")
        theirs = _upload(stranger_cycle, signatory_of(stranger_cycle.member), "1.1", "secret.pdf")
        client.force_login(signatory)
        url = reverse("compliance:evidence_attach", args=[cycle.pk, _criterion_pk(cycle, "1.1")])
        response = client.post(url, {"document": str(theirs.document_id)}, headers=HTMX)
        assert response.status_code == 404
        assert not AnswerEvidence.objects.filter(answer__cycle=cycle).exists()
        # Nor through the service, whatever a caller passes it.
        with pytest.raises(ValidationError, match="evidence library"):
            services.evidence_attach(
                actor=signatory,
                cycle=cycle,
                criterion=cycle.answers.get(criterion__code="1.2").criterion,
                document=theirs.document,
            )
        assert not AnswerEvidence.objects.filter(answer__cycle=cycle).exists()
        html = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
        assert "secret.pdf" not in html

    def test_attach_is_refused_to_strangers_and_viewers_and_checks_its_input(
        self, client, cycle, signatory
    ):
        evidence = _upload(cycle, signatory, "1.1")
        url = reverse("compliance:evidence_attach", args=[cycle.pk, _criterion_pk(cycle, "1.2")])
        data = {"document": str(evidence.document_id)}
        _other, outsider = member_with(Role.SIGNATORY)
        client.force_login(outsider)
        assert client.post(url, data, headers=HTMX).status_code == 404
        viewer = UserFactory()
        Membership.objects.create(member=cycle.member, user=viewer, role=Role.VIEWER)
        client.force_login(viewer)
        assert client.post(url, data, headers=HTMX).status_code == 403
        client.force_login(signatory)
        assert client.get(url).status_code == 405
        bad = client.post(url, {"document": "not-a-uuid"}, headers=HTMX)
        assert bad.status_code == 400 and "valid UUID" in bad.content.decode()
        assert AnswerEvidence.objects.filter(answer__cycle=cycle).count() == 1
        assert client.post(url, data, headers=HTMX).status_code == 200
        assert AnswerEvidence.objects.filter(answer__cycle=cycle).count() == 2

    def test_removing_a_shared_document_from_one_criterion_keeps_the_other(
        self, client, cycle, signatory
    ):
        evidence = _upload(cycle, signatory, "1.1")
        services.evidence_attach(
            actor=signatory,
            cycle=cycle,
            criterion=cycle.answers.get(criterion__code="1.2").criterion,
            document=evidence.document,
        )
        client.force_login(signatory)
        url = reverse("compliance:evidence_remove", args=[cycle.pk, evidence.document_id])
        second = _criterion_pk(cycle, "1.2")
        response = client.post(f"{url}?criterion={second}", {"confirm": "yes"}, headers=HTMX)
        assert response.status_code == 200
        remaining = AnswerEvidence.objects.filter(document=evidence.document)
        assert list(remaining.values_list("answer__criterion__code", flat=True)) == ["1.1"]
        # The download still works through the criterion that keeps it.
        download = client.get(
            reverse("compliance:evidence_download", args=[cycle.pk, evidence.document_id])
        )
        assert download.status_code == 200

    def test_the_attestation_page_stays_within_its_query_budget_with_a_library(
        self, client, cycle, signatory, django_assert_max_num_queries
    ):
        client.force_login(signatory)
        url = reverse("compliance:cycle_detail", args=[cycle.pk])
        client.get(url)
        with django_assert_max_num_queries(25) as few:
            client.get(url)
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        for index, code in enumerate(codes):
            shared = _upload(cycle, signatory, code, f"doc{index}.pdf")
            services.evidence_attach(
                actor=signatory,
                cycle=cycle,
                criterion=cycle.answers.get(criterion__code=codes[index - 1]).criterion,
                document=shared.document,
            )
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url)
        assert response.content.decode().count('class="mb-1 library-entry"') == len(codes)


@pytest.mark.django_db
class TestReviewAndSubmit:
    def test_the_review_page_shows_every_answer_its_evidence_and_links_the_gaps(
        self, client, cycle, signatory
    ):
        codes = list(cycle.answers.values_list("criterion__code", flat=True))
        _answer(cycle, signatory, codes[0], "partial", "Half of our sites so far.")
        _upload(cycle, signatory, codes[0], "audit-report.pdf")
        _answer(cycle, signatory, codes[1], "compliant")
        client.force_login(signatory)
        html = client.get(reverse("compliance:cycle_submit", args=[cycle.pk])).content.decode()
        assert html.count('class="list-group-item review-answer') == len(codes)
        assert "Half of our sites so far." in html and "audit-report.pdf" in html
        detail = reverse("compliance:cycle_detail", args=[cycle.pk])
        first, second = codes[0].replace(".", ""), codes[1].replace(".", "")
        # The complete answer has no gap; the compliant one lacks evidence, linked back.
        assert f'href="{detail}#criterion-{first}">Still needs' not in html
        assert f'href="{detail}#criterion-{second}">Still needs evidence: complete it' in html
        third = codes[2].replace(".", "")
        assert f'href="{detail}#criterion-{third}">Still needs an answer, evidence' in html

    def test_the_declaration_names_the_signatory_and_their_title(self, client, cycle):
        signatory = UserFactory(full_name="Irina Volkova")
        Membership.objects.create(member=cycle.member, user=signatory, role=Role.SIGNATORY)
        for answer in cycle.answers.select_related("criterion"):
            _answer(cycle, signatory, answer.criterion.code, "not_applicable", "Not our trade.")
        login_with_password(client, signatory)
        url = reverse("compliance:cycle_submit", args=[cycle.pk])
        html = client.get(url).content.decode()
        company = cycle.member.legal_name
        assert f"I, Irina Volkova, signatory of {company}, declare" in html
        assert "[your name]" not in html
        response = client.post(
            url,
            {"typed_name": "Irina Volkova", "title": "Chief Executive Officer", "declared": "on"},
        )
        assert response.status_code == 302
        statement = Submission.objects.get(cycle=cycle).statement
        assert statement.startswith(
            f"I, Irina Volkova, Chief Executive Officer of {company}, declare"
        )

    def test_without_a_title_the_declaration_gives_the_role(self, cycle, signatory):
        for answer in cycle.answers.select_related("criterion"):
            _answer(cycle, signatory, answer.criterion.code, "not_applicable", "Not our trade.")
        submission = services.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="Ivan Petrov", declared=True
        )
        assert submission.statement.startswith(
            f"I, Ivan Petrov, signatory of {cycle.member.legal_name}, declare"
        )
