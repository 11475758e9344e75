"""The auditor area beyond certificates: a granted member's cycles with answers, evidence,
findings and decisions, read-only; evidence downloads and the evidence pack are audited; an
auditor without a grant in force finds nothing."""

import hashlib
import io
import zipfile
from datetime import timedelta

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import AuditorGrant, Finding, ForfeitureCase
from tests.factories import UserFactory, auditor, cycle_for, decider, signatory_of
from tests.files import pdf_bytes, png_bytes
from tests.helpers import login_with_mfa

METHODS = ["get", "post", "put", "delete"]


def _grant(staff, person, member, days=30):
    return services.auditor_grant_save(
        actor=staff,
        grant=AuditorGrant(
            auditor=person, member=member, expires_on=timezone.localdate() + timedelta(days=days)
        ),
    )


def _submitted_cycle(staff):
    """A cycle answered with evidence (one document shared by two criteria), then accepted,
    with a finding and a decided case."""
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    answers = list(cycle.answers.select_related("criterion"))
    for answer in answers:
        services.answer_save(
            actor=signatory,
            cycle=cycle,
            criterion=answer.criterion,
            answer="partial",
            explanation=f"Explained {answer.criterion.code}.",
        )
    shared = services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=answers[0].criterion,
        uploaded_file=SimpleUploadedFile("policy.pdf", pdf_bytes()),
    )
    services.evidence_attach(
        actor=signatory, cycle=cycle, criterion=answers[1].criterion, document=shared.document
    )
    photo = services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=answers[2].criterion,
        uploaded_file=SimpleUploadedFile("site photo.png", png_bytes()),
    )
    cycle.status = "accepted"
    cycle.outcome = "improvement"
    cycle.decided_at = timezone.now()
    cycle.save()
    Finding.objects.create(
        cycle=cycle,
        criterion=answers[3].criterion,
        severity="minor",
        description="Suppliers of polished goods are not assessed.",
        corrective_action="Assess them.",
        due_on=timezone.localdate() + timedelta(days=30),
        raised_by=staff,
    )
    opener, judge = UserFactory(staff=True), decider()
    ForfeitureCase.objects.create(
        licence=cycle.licence,
        grounds="logo_misuse",
        narrative="Logo on scrap.",
        status="decided",
        opened_by=opener,
        decision="warning",
        decision_reasons="A first misuse, corrected at once.",
        decided_by=judge,
        decided_at=timezone.now(),
    )
    return cycle, [shared.document, photo.document]


@pytest.fixture
def world(db, staff_user):
    cycle, documents = _submitted_cycle(staff_user)
    other_cycle, _ = _submitted_cycle(staff_user)
    granted, other, lapsed = auditor(), auditor(), auditor()
    _grant(staff_user, granted, cycle.member)
    _grant(staff_user, other, other_cycle.member)
    _grant(staff_user, lapsed, cycle.member)
    AuditorGrant.objects.filter(auditor=lapsed).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    return {
        "cycle": cycle,
        "documents": documents,
        "granted": granted,
        "other": other,
        "lapsed": lapsed,
        "member_user": signatory_of(cycle.member),
    }


def urls_of(world) -> list[str]:
    cycle = world["cycle"]
    return [
        reverse("auditor:member_detail", args=[cycle.member_id]),
        reverse("auditor:cycle_detail", args=[cycle.pk]),
        reverse("auditor:evidence_download", args=[cycle.pk, world["documents"][0].pk]),
        reverse("auditor:evidence_pack", args=[cycle.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_every_url_is_404_without_a_grant_and_200_with_one(client, world, method):
    """Deny, then allow, on the same URL: an auditor granted another member, an expired grant
    and the member's own user find nothing and leave no trace; the granted auditor reads."""
    for url in urls_of(world):
        for person in (world["other"], world["lapsed"], world["member_user"]):
            login_with_mfa(client, person)
            events = AuditEvent.objects.count()
            assert getattr(client, method)(url).status_code == 404, (person, method, url)
            assert AuditEvent.objects.count() == events, (person, method, url)
        login_with_mfa(client, world["granted"])
        status = getattr(client, method)(url).status_code
        assert status == (200 if method == "get" else 405), (method, url, status)


@pytest.mark.django_db
def test_a_grant_for_every_member_opens_them_all(client, world, staff_user):
    everyone = auditor()
    _grant(staff_user, everyone, None)
    login_with_mfa(client, everyone)
    for url in urls_of(world):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_an_attestation_not_yet_submitted_stays_the_members_draft(client, world):
    draft = cycle_for("open", licence=world["cycle"].licence)
    login_with_mfa(client, world["granted"])
    assert client.get(reverse("auditor:cycle_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("auditor:evidence_pack", args=[draft.pk])).status_code == 404
    html = client.get(
        reverse("auditor:member_detail", args=[world["cycle"].member_id])
    ).content.decode()
    assert reverse("auditor:cycle_detail", args=[world["cycle"].pk]) in html
    assert reverse("auditor:cycle_detail", args=[draft.pk]) not in html


@pytest.mark.django_db
def test_the_member_page_lists_cycles_findings_and_decisions(client, world):
    login_with_mfa(client, world["granted"])
    html = client.get(
        reverse("auditor:member_detail", args=[world["cycle"].member_id])
    ).content.decode()
    assert "Suppliers of polished goods are not assessed." in html
    assert html.count('class="auditor-finding"') == 1
    assert "Warning" in html and "A first misuse, corrected at once." in html
    assert "Improvement opportunity" in html
    # The members list links to it.
    listing = client.get(reverse("auditor:members")).content.decode()
    assert reverse("auditor:member_detail", args=[world["cycle"].member_id]) in listing


@pytest.mark.django_db
def test_the_cycles_of_a_member_are_paged(client, world):
    cycle = world["cycle"]
    for _ in range(11):
        cycle_for("rejected", licence=cycle.licence)
    login_with_mfa(client, world["granted"])
    url = reverse("auditor:member_detail", args=[cycle.member_id])
    first = client.get(url).content.decode()
    assert first.count("/auditor/cycles/") - first.count("#findings") == 10
    assert "page 1 of 2" in first
    second = client.get(url + "?page=2").content.decode()
    assert "page 2 of 2" in second
    assert reverse("auditor:cycle_detail", args=[cycle.pk]) in second  # the oldest, last
    # A page that does not exist is the last one, not an error.
    assert client.get(url + "?page=999").status_code == 200
    assert client.get(url + "?page=x").status_code == 200


@pytest.mark.django_db
def test_the_cycle_shows_answers_explanations_evidence_and_findings_read_only(
    client, world, django_assert_max_num_queries
):
    cycle = world["cycle"]
    login_with_mfa(client, world["granted"])
    url = reverse("auditor:cycle_detail", args=[cycle.pk])
    with django_assert_max_num_queries(20):
        html = client.get(url).content.decode()
    for answer in cycle.answers.select_related("criterion"):
        assert f"Explained {answer.criterion.code}." in html
    assert html.count("Partially compliant") == cycle.answers.count()
    shared = reverse("auditor:evidence_download", args=[cycle.pk, world["documents"][0].pk])
    assert html.count(f'href="{shared}"') == 2  # one document evidencing two criteria
    assert "Suppliers of polished goods are not assessed." in html
    assert "<form" not in html.split("<main", 1)[-1].split("</main>", 1)[0]


@pytest.mark.django_db
def test_an_evidence_download_is_audited(client, world):
    cycle, document = world["cycle"], world["documents"][1]
    login_with_mfa(client, world["granted"])
    response = client.get(reverse("auditor:evidence_download", args=[cycle.pk, document.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == document.sha256
    event = AuditEvent.objects.get(action="document.downloaded", actor=world["granted"])
    assert event.target_id == str(document.pk)


@pytest.mark.django_db
def test_the_evidence_pack_holds_every_file_and_an_index_with_their_hashes(client, world):
    cycle, documents = world["cycle"], world["documents"]
    login_with_mfa(client, world["granted"])
    response = client.get(reverse("auditor:evidence_pack", args=[cycle.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"evidence-{cycle.member_id}-cycle-{cycle.pk}.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    names = archive.namelist()
    files = [name for name in names if name.startswith("evidence/")]
    assert "index.pdf" in names and len(files) == 2  # the shared document once
    hashes = {hashlib.sha256(archive.read(name)).hexdigest() for name in files}
    assert hashes == {d.sha256 for d in documents}
    index = pypdf.PdfReader(io.BytesIO(archive.read("index.pdf")))
    text = " ".join(page.extract_text() for page in index.pages)
    flat = "".join(text.split())
    assert cycle.member.legal_name.replace(" ", "") in flat
    for document in documents:
        assert document.sha256 in flat
    for name in files:
        assert "".join(name.split()) in flat
    for answer in cycle.answers.select_related("criterion"):
        assert f"Explained{answer.criterion.code}." in flat
    event = AuditEvent.objects.get(action="cycle.evidence_pack_downloaded")
    assert event.actor == world["granted"]
    assert sorted(event.payload["documents"]) == sorted(str(d.pk) for d in documents)
