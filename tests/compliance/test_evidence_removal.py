"""Removing evidence is confirmed first (without JavaScript: a confirm page; with htmx: the
browser asks, then confirm=yes is sent) and can be undone, for the removed file only."""

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance_portal.models import AuditEvent
from compliance import services
from compliance.models import AnswerEvidence
from members.models import Membership, Role
from tests.factories import UserFactory, cycle_for, member_with, signatory_of
from tests.files import pdf_bytes


def evidence_in_open_cycle():
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    criterion = cycle.answers.first().criterion
    item = services.evidence_add(
        actor=signatory,
        cycle=cycle,
        criterion=criterion,
        uploaded_file=SimpleUploadedFile("kp-register.pdf", pdf_bytes()),
    )
    return item, signatory


@pytest.fixture
def evidence(db):
    return evidence_in_open_cycle()


def _urls(item):
    args = [item.answer.cycle_id, item.document_id]
    return (
        reverse("compliance:evidence_remove", args=args),
        reverse("compliance:evidence_restore", args=args),
    )


def test_removal_without_confirmation_changes_nothing_then_undo_puts_it_back(client, evidence):
    item, signatory = evidence
    remove, restore = _urls(item)
    client.force_login(signatory)
    detail = client.get(reverse("compliance:cycle_detail", args=[item.answer.cycle_id]))
    # The link names the criterion: a library document may evidence several.
    criterion = f"?criterion={item.answer.criterion_id}"
    (link,) = lxml.html.fromstring(detail.content.decode()).xpath(
        f'//a[@href="{remove}{criterion}"]'
    )
    assert link.get("hx-confirm") and link.get("hx-vals") == '{"confirm": "yes"}'

    confirm = client.get(remove)
    assert confirm.status_code == 200 and "kp-register.pdf" in confirm.content.decode()
    assert client.post(remove).status_code == 400
    assert AnswerEvidence.objects.filter(pk=item.pk).exists()

    done = client.post(remove, {"confirm": "yes"})
    assert done.status_code == 200
    assert not AnswerEvidence.objects.filter(document_id=item.document_id).exists()
    (undo,) = lxml.html.fromstring(done.content.decode()).xpath('//*[@id="removed-evidence"]//form')
    assert undo.get("action") == restore

    back = client.post(restore)
    assert back.status_code == 302
    again = AnswerEvidence.objects.get(document_id=item.document_id)
    assert again.answer_id == item.answer_id
    assert AuditEvent.objects.filter(action="cycle.evidence_restored").count() == 1
    assert client.post(restore).status_code == 302  # twice: refused, nothing doubled
    assert AnswerEvidence.objects.filter(document_id=item.document_id).count() == 1


def test_htmx_removal_offers_undo_in_the_block(client, evidence):
    item, signatory = evidence
    remove, restore = _urls(item)
    client.force_login(signatory)
    response = client.post(remove, {"confirm": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    (button,) = lxml.html.fromstring(response.content.decode()).xpath(
        '//*[contains(@class, "removed-evidence")]//button'
    )
    assert button.get("hx-post") == restore
    assert client.post(restore, HTTP_HX_REQUEST="true").status_code == 200
    assert AnswerEvidence.objects.filter(document_id=item.document_id).exists()


def test_only_a_file_removed_from_this_cycle_can_be_put_back(client, evidence):
    item, signatory = evidence
    other_cycle = cycle_for("open")
    foreign = services.evidence_add(
        actor=signatory_of(other_cycle.member),
        cycle=other_cycle,
        criterion=other_cycle.answers.first().criterion,
        uploaded_file=SimpleUploadedFile("secret.pdf", pdf_bytes()),
    )
    services.evidence_remove(actor=signatory_of(other_cycle.member), evidence=foreign)
    client.force_login(signatory)
    # The other member's removed file, through this member's own cycle: refused.
    sneaky = reverse(
        "compliance:evidence_restore", args=[item.answer.cycle_id, foreign.document_id]
    )
    assert client.post(sneaky).status_code == 302
    assert not AnswerEvidence.objects.filter(document_id=foreign.document_id).exists()
    # The other member's cycle itself: 404.
    _remove, restore = _urls(foreign)
    assert client.post(restore).status_code == 404
    assert not AnswerEvidence.objects.filter(document_id=foreign.document_id).exists()


def test_a_stranger_gets_404_and_a_viewer_403(client, evidence):
    item, signatory = evidence
    remove, _restore = _urls(item)
    _member, stranger = member_with(Role.SIGNATORY)
    client.force_login(stranger)
    assert client.get(remove).status_code == 404
    assert client.post(remove, {"confirm": "yes"}).status_code == 404
    viewer = UserFactory()
    Membership.objects.create(member=item.answer.cycle.member, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    assert client.get(remove).status_code == 403
    assert client.post(remove, {"confirm": "yes"}).status_code == 403
    assert AnswerEvidence.objects.filter(pk=item.pk).exists()
    client.force_login(signatory)
    assert client.get(remove).status_code == 200
