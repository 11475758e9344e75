"""The attestation page and the member's compliance pages: scoping, htmx saving, budgets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import Answer, Finding
from members.models import Membership, Role
from tests.factories import UserFactory, cycle_for, member_with, signatory_of
from tests.files import multipart, pdf_bytes

METHODS = ["get", "post", "put", "delete"]


@pytest.fixture
def company_a(db, staff_user):
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    criterion = cycle.answers.first().criterion
    evidence = services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=criterion,
        uploaded_file=SimpleUploadedFile("proof.pdf", pdf_bytes()),
    )
    accepted = cycle_for("accepted", licence=cycle.licence)
    from datetime import timedelta

    from django.utils import timezone

    finding = Finding.objects.create(
        cycle=accepted,
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() + timedelta(days=9),
        raised_by=staff_user,
    )
    finding_evidence = services.finding_add_evidence(
        actor=signatory, finding=finding, uploaded_file=SimpleUploadedFile("fix.pdf", pdf_bytes())
    )
    case = services.case_open(
        actor=staff_user, licence=cycle.licence, grounds="logo_misuse", narrative="Logo on scrap."
    )
    case = services.case_send_notice(actor=staff_user, case=case)  # the member sees it now
    case_document = services.case_add_response_document(
        actor=signatory, case=case, uploaded_file=SimpleUploadedFile("reply.pdf", pdf_bytes())
    )
    return {
        "cycle": cycle,
        "criterion": criterion,
        "evidence": evidence,
        "finding": finding,
        "finding_evidence": finding_evidence,
        "case": case,
        "case_document": case_document,
    }


def urls_of(a) -> list[str]:
    cycle, criterion, doc = a["cycle"].pk, a["criterion"].pk, a["evidence"].document_id
    finding, case = a["finding"].pk, a["case"].pk
    return [
        reverse("compliance:cycle_detail", args=[cycle]),
        reverse("compliance:answer_save", args=[cycle, criterion]),
        reverse("compliance:evidence_upload", args=[cycle, criterion]),
        reverse("compliance:evidence_download", args=[cycle, doc]),
        reverse("compliance:evidence_remove", args=[cycle, doc]),
        reverse("compliance:cycle_submit", args=[cycle]),
        reverse("compliance:answer_keep", args=[cycle, criterion]),
        reverse("compliance:cycle_keep_all", args=[cycle]),
        reverse("compliance:finding_detail", args=[finding]),
        reverse("compliance:finding_evidence", args=[finding, a["finding_evidence"].document_id]),
        reverse("compliance:case_detail", args=[case]),
        reverse("compliance:case_document", args=[case, a["case_document"].document_id]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_another_member_gets_404_on_every_compliance_url_the_owner_can_use(
    client, company_a, method
):
    """Deny, then allow: the same URL answers the owner (200, or the page's usual 302, 400 or
    405 for a method it does not take) and is a 404 for another member, recording nothing."""
    _member_b, outsider = member_with(Role.SIGNATORY)
    owner = signatory_of(company_a["cycle"].member)
    for url in urls_of(company_a):
        client.force_login(outsider)
        events = AuditEvent.objects.count()
        assert getattr(client, method)(url).status_code == 404, (method, url)
        assert AuditEvent.objects.count() == events, (method, url)
        client.force_login(owner)
        status = getattr(client, method)(url).status_code
        assert status in (200, 302, 400, 405), (method, url, status)
        if method == "get":
            assert status in (200, 405), (url, status)  # a page, or a POST-only action


@pytest.mark.django_db
class TestAttestationPage:
    def test_htmx_save_returns_the_row_and_the_progress(self, client, company_a):
        cycle, criterion = company_a["cycle"], company_a["criterion"]
        client.force_login(signatory_of(cycle.member))
        response = client.post(
            reverse("compliance:answer_save", args=[cycle.pk, criterion.pk]),
            {"answer": "compliant", "explanation": ""},
            headers={"hx-request": "true"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        slug = criterion.code.replace(".", "")
        # Only the row's state, its errors and the progress come back: the inputs stay as typed.
        assert f'id="state-{slug}" hx-swap-oob="true">Saved<' in html
        assert f'id="error-{slug}" hx-swap-oob="true"' in html
        assert 'name="explanation"' not in html
        assert 'id="progress" class="mb-3" hx-swap-oob="true"' in html
        assert "1 of 12 criteria complete" in html
        assert Answer.objects.get(cycle=cycle, criterion=criterion).answer == "compliant"

    def test_a_bad_answer_is_a_400_with_the_reason(self, client, company_a):
        cycle, criterion = company_a["cycle"], company_a["criterion"]
        client.force_login(signatory_of(cycle.member))
        response = client.post(
            reverse("compliance:answer_save", args=[cycle.pk, criterion.pk]),
            {"answer": "maybe"},
            headers={"hx-request": "true"},
        )
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
        assert Answer.objects.get(cycle=cycle, criterion=criterion).answer == ""

    def test_a_refused_upload_is_a_400_and_stores_nothing(self, client, company_a):
        cycle, criterion = company_a["cycle"], company_a["criterion"]
        client.force_login(signatory_of(cycle.member))
        body, content_type = multipart(
            {"issued_on": str(timezone.localdate())}, [("file", "notes.pdf", b"plain text")]
        )
        response = client.post(
            reverse("compliance:evidence_upload", args=[cycle.pk, criterion.pk]),
            data=body,
            content_type=content_type,
            headers={"hx-request": "true"},
        )
        assert response.status_code == 400
        assert "does not match its .pdf extension" in response.content.decode()
        assert Answer.objects.get(cycle=cycle, criterion=criterion).evidence.count() == 1

    def test_a_viewer_reads_but_gets_no_forms(self, client, company_a):
        viewer = UserFactory()
        Membership.objects.create(member=company_a["cycle"].member, user=viewer, role=Role.VIEWER)
        client.force_login(viewer)
        html = client.get(
            reverse("compliance:cycle_detail", args=[company_a["cycle"].pk])
        ).content.decode()
        assert "proof.pdf" in html
        assert 'name="explanation"' not in html
        response = client.post(
            reverse(
                "compliance:answer_save", args=[company_a["cycle"].pk, company_a["criterion"].pk]
            ),
            {"answer": "compliant"},
            headers={"hx-request": "true"},
        )
        assert response.status_code == 403
        assert (
            Answer.objects.get(cycle=company_a["cycle"], criterion=company_a["criterion"]).answer
            == ""
        )


@pytest.mark.django_db
def test_attestation_page_queries_do_not_grow(client, django_assert_max_num_queries):
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    client.force_login(signatory)
    url = reverse("compliance:cycle_detail", args=[cycle.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for answer in cycle.answers.select_related("criterion"):
        services.answer_save(
            actor=signatory,
            cycle=cycle,
            criterion=answer.criterion,
            answer="partial",
            explanation="In progress.",
        )
        for i in range(2):
            services.evidence_add(
                actor=signatory,
                cycle=cycle,
                criterion=answer.criterion,
                uploaded_file=SimpleUploadedFile(f"e{i}.pdf", pdf_bytes()),
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    # One download link per criterion (the evidence library lists the names again).
    assert response.content.decode().count("e1.pdf</a>") == 12
