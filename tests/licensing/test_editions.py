"""Guidelines editions: the mapping from the previous edition, publishing, the members'
acknowledgement, cycles under the new edition and the certificate naming it."""

import io
from datetime import timedelta

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents import document_read
from alliance_portal.models import AuditEvent, Notification, OutboxMessage
from compliance import services as compliance
from compliance.models import Answer, ComplianceCertificate
from licensing import editions
from licensing.models import (
    Criterion,
    CriterionChange,
    CriterionMapping,
    GuidelinesAcknowledgement,
    GuidelinesVersion,
)
from licensing.selectors import edition_mapping_problems
from members.models import Membership, Role
from tests.editions import accepted_with_evidence, publish, third_edition
from tests.factories import UserFactory, answer_everything, licence_in, member_with, signatory_of
from tests.helpers import login_with_password


def _changes(version) -> dict[tuple[str | None, str | None], str]:
    return {
        (
            line.previous.code if line.previous else None,
            line.criterion.code if line.criterion else None,
        ): line.change
        for line in CriterionMapping.objects.filter(version=version).select_related(
            "previous", "criterion"
        )
    }


@pytest.mark.django_db
class TestMapping:
    def test_proposed_by_code_same_changed_new_and_removed(self, staff_user):
        third = third_edition(staff_user)
        changes = _changes(third)
        assert changes[("1.1", "1.1")] == "same"
        assert changes[("2.4", "2.4")] == "changed"
        assert changes[(None, "1.3")] == "new"
        assert changes[("5.1", None)] == "removed"
        assert len(changes) == 13  # 11 kept, 1 new, 1 removed
        assert edition_mapping_problems(third) == []

    def test_publishing_refuses_an_incomplete_mapping_and_says_what_is_missing(self, staff_user):
        licence_in("active")
        third = third_edition(staff_user)
        CriterionMapping.objects.filter(version=third, criterion__code="1.3").delete()
        CriterionMapping.objects.filter(version=third, previous__code="5.1").delete()
        with pytest.raises(ValidationError) as refused:
            publish(staff_user, third)
        text = " ".join(refused.value.messages)
        assert "The mapping from the previous edition is incomplete." in text
        assert "Say for 1.3 whether it is the same as, changed from or new to" in text
        assert "Say what became of 5.1 of the 2nd edition" in text
        third.refresh_from_db()
        assert third.published_at is None
        assert not OutboxMessage.objects.filter(template="guidelines_published").exists()
        # Completed, it publishes.
        line = CriterionMapping(
            version=third,
            change="new",
            criterion=Criterion.objects.get(section__version=third, code="1.3"),
        )
        editions.criterion_mapping_save(actor=staff_user, mapping=line)
        old = Criterion.objects.get(section__version__edition="2nd edition", code="5.1")
        editions.criterion_mapping_save(
            actor=staff_user,
            mapping=CriterionMapping(version=third, change="removed", previous=old),
        )
        publish(staff_user, third)
        assert GuidelinesVersion.objects.get(pk=third.pk).is_published

    def test_a_line_must_name_criteria_of_the_right_editions(self, staff_user):
        third = third_edition(staff_user)
        old = Criterion.objects.get(section__version__edition="2nd edition", code="1.1")
        line = CriterionMapping.objects.get(version=third, criterion__code="1.2")
        line.criterion = old  # a criterion of the 2nd edition on the new side
        with pytest.raises(ValidationError, match="Choose a criterion of this edition"):
            editions.criterion_mapping_save(actor=staff_user, mapping=line)
        line = CriterionMapping.objects.get(version=third, criterion__code="1.2")
        line.previous = Criterion.objects.get(section__version=third, code="1.1")
        with pytest.raises(ValidationError, match="Choose a criterion of the 2nd edition"):
            editions.criterion_mapping_save(actor=staff_user, mapping=line)
        line = CriterionMapping.objects.get(version=third, criterion__code="2.4")
        line.change, line.previous = CriterionChange.CHANGED, None
        with pytest.raises(ValidationError):
            editions.criterion_mapping_save(actor=staff_user, mapping=line)

    def test_a_published_editions_mapping_cannot_change(self, staff_user):
        third = publish(staff_user, third_edition(staff_user))
        line = CriterionMapping.objects.filter(version=third).first()
        line.note = "Later."
        with pytest.raises(ValidationError, match="published"):
            editions.criterion_mapping_save(actor=staff_user, mapping=line)
        with pytest.raises(ValidationError, match="published"):
            editions.criterion_mapping_delete(actor=staff_user, mapping=line)

    def test_the_admin_publish_action_shows_the_refusal(self, client, staff_user):
        from tests.helpers import login_with_mfa

        third = third_edition(staff_user)
        CriterionMapping.objects.filter(version=third, criterion__code="1.3").delete()
        login_with_mfa(client, staff_user)
        response = client.post(
            reverse("admin:licensing_guidelinesversion_changelist"),
            {"action": "publish", "_selected_action": [third.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert "Say for 1.3 whether it is the same as" in response.content.decode()
        third.refresh_from_db()
        assert third.published_at is None
        page = client.get(reverse("admin:licensing_guidelinesversion_change", args=[third.pk]))
        assert page.status_code == 200
        assert "Say for 1.3 whether it is the same as" in page.content.decode()


@pytest.fixture
def new_edition(staff_user):
    """A member's accepted review under the 2nd edition (1.1 with a valid and an expired
    document, 2.4 answered), then the 3rd edition published, and its first review opened."""
    today = timezone.localdate()
    licence = licence_in("active")
    signatory = signatory_of(licence.member)
    officer = UserFactory()
    Membership.objects.create(user=officer, member=licence.member, role=Role.COMPLIANCE_OFFICER)
    past = accepted_with_evidence(
        staff_user,
        licence,
        {
            "1.1": {"kp.pdf": today + timedelta(days=200), "old-kp.pdf": today - timedelta(1)},
            "2.4": {"supply.pdf": None},
        },
    )
    third = publish(staff_user, third_edition(staff_user))
    cycle = compliance.cycle_open(actor=staff_user, member=licence.member, kind="periodic")
    return {
        "licence": licence,
        "signatory": signatory,
        "officer": officer,
        "past": past,
        "third": third,
        "cycle": cycle,
    }


def _answer(cycle, code) -> Answer:
    return Answer.objects.select_related("criterion").get(cycle=cycle, criterion__code=code)


@pytest.mark.django_db
class TestNewEdition:
    def test_members_are_told_of_the_new_edition(self, new_edition):
        licence = new_edition["licence"]
        told = OutboxMessage.objects.filter(template="guidelines_published")
        assert sorted(told.values_list("recipient", flat=True)) == sorted(
            [new_edition["signatory"].email, new_edition["officer"].email]
        )
        url = reverse(
            "licensing:guidelines_acknowledge", args=[licence.pk, new_edition["third"].pk]
        )
        assert all(url in message.body_text for message in told)
        assert Notification.objects.filter(
            user=new_edition["officer"], template="guidelines_published"
        ).exists()

    def test_the_licence_keeps_its_edition_and_the_cycle_attests_the_new_one(self, new_edition):
        licence, cycle = new_edition["licence"], new_edition["cycle"]
        licence.refresh_from_db()
        assert licence.guidelines.edition == "2nd edition"
        assert cycle.guidelines == new_edition["third"]
        codes = set(cycle.answers.values_list("criterion__code", flat=True))
        assert "1.3" in codes and "5.1" not in codes

    def test_same_criteria_are_pre_filled_with_valid_evidence_and_changed_ones_asked(
        self, new_edition
    ):
        cycle, past = new_edition["cycle"], new_edition["past"]
        same = _answer(cycle, "1.1")
        assert same.answer == "compliant" and same.explanation == "Our policy for 1.1."
        assert same.carried_from == _answer(past, "1.1")
        assert [e.document.original_name for e in same.evidence.all()] == ["kp.pdf"]
        changed, new = _answer(cycle, "2.4"), _answer(cycle, "1.3")
        for asked in (changed, new):
            assert (asked.answer, asked.carried_from_id) == ("", None)
            assert not asked.evidence.exists()
        # Every criterion mapped "same" (all but 2.4 and 1.3) is carried forward.
        assert cycle.answers.filter(carried_from__isnull=False).count() == 10
        opened = AuditEvent.objects.filter(action="cycle.opened", target_id=str(cycle.pk)).get()
        assert "2.4" not in opened.payload["carried_forward"]["criteria"]
        assert len(opened.payload["carried_forward"]["expired_left_behind"]) == 1

    def test_the_cycle_waits_for_the_acknowledgement_then_opens(self, client, new_edition):
        cycle, signatory, officer = (
            new_edition["cycle"],
            new_edition["signatory"],
            new_edition["officer"],
        )
        page = reverse("compliance:cycle_detail", args=[cycle.pk])
        acknowledge = reverse(
            "licensing:guidelines_acknowledge",
            args=[new_edition["licence"].pk, new_edition["third"].pk],
        )
        # Deny: the attestation page is a clear refusal, for the officer and the signatory.
        client.force_login(officer)
        refused = client.get(page)
        assert refused.status_code == 403
        assert "must acknowledge the new edition" in refused.content.decode()
        with pytest.raises(ValidationError, match="must acknowledge it first"):
            compliance.answer_save(
                actor=officer,
                cycle=cycle,
                criterion=_answer(cycle, "2.4").criterion,
                answer="compliant",
                explanation="",
            )
        assert client.post(acknowledge, {"typed_name": "O", "declared": "on"}).status_code == 403
        # The signatory acknowledges, recorded like a declaration (the declaration waits too).
        login_with_password(client, signatory)
        submit = client.get(reverse("compliance:cycle_submit", args=[cycle.pk]))
        assert submit.status_code == 403
        assert "Read and acknowledge the new edition" in submit.content.decode()
        form = client.get(acknowledge)
        assert form.status_code == 200
        html = form.content.decode()
        assert "2.4" in html and "1.3" in html and "5.1" in html
        bad = client.post(acknowledge, {"typed_name": "Ivan Signer"})
        assert bad.status_code == 400
        assert not GuidelinesAcknowledgement.objects.exists()
        response = client.post(
            acknowledge,
            {"typed_name": "Ivan Signer", "declared": "on"},
            HTTP_USER_AGENT="Test browser",
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 302
        record = GuidelinesAcknowledgement.objects.get()
        assert (record.member, record.version, record.user) == (
            cycle.member,
            new_edition["third"],
            signatory,
        )
        assert record.user_agent == "Test browser" and record.ip == "203.0.113.9"
        assert "Ivan Signer" in record.statement and "3rd edition" in record.statement
        assert record.authenticated_at is not None and len(record.statement_sha256) == 64
        assert AuditEvent.objects.filter(action="guidelines.acknowledged").count() == 1
        # Allow: the page opens, the same criteria kept, the changed and new ones asked.
        client.force_login(officer)
        opened = client.get(page)
        assert opened.status_code == 200
        html = opened.content.decode()
        assert "Changed in the 3rd edition (it was 2.4): please answer it again." in html
        assert "New in the 3rd edition: please answer it." in html
        assert html.count("Unchanged since the last review · last confirmed on") == 10
        assert "“old-kp.pdf” expired on" in html
        # Once is enough.
        login_with_password(client, signatory)
        again = client.post(acknowledge, {"typed_name": "Ivan Signer", "declared": "on"})
        assert again.status_code == 400
        assert "already acknowledged this edition" in again.content.decode()
        assert "Acknowledged by Ivan Signer" in again.content.decode()
        assert GuidelinesAcknowledgement.objects.count() == 1

    def test_acknowledging_needs_a_recent_login(self, client, new_edition):
        acknowledge = reverse(
            "licensing:guidelines_acknowledge",
            args=[new_edition["licence"].pk, new_edition["third"].pk],
        )
        login_with_password(client, new_edition["signatory"], seconds_ago=3600)
        response = client.post(acknowledge, {"typed_name": "Ivan", "declared": "on"})
        assert response.status_code == 302 and "reauthenticate" in response["Location"]
        assert not GuidelinesAcknowledgement.objects.exists()

    def test_another_member_gets_404_on_the_acknowledgement(self, client, new_edition):
        acknowledge = reverse(
            "licensing:guidelines_acknowledge",
            args=[new_edition["licence"].pk, new_edition["third"].pk],
        )
        _other, outsider = member_with(Role.SIGNATORY)
        for method in ("get", "post"):
            client.force_login(outsider)
            assert getattr(client, method)(acknowledge).status_code == 404
        assert not GuidelinesAcknowledgement.objects.exists()
        client.logout()
        assert client.get(acknowledge).status_code == 302  # to the login page
        client.force_login(new_edition["signatory"])
        assert client.get(acknowledge).status_code == 200
        # The edition the licence incorporated has nothing to acknowledge.
        second = new_edition["licence"].guidelines_id
        url = reverse("licensing:guidelines_acknowledge", args=[new_edition["licence"].pk, second])
        assert client.get(url).status_code == 404

    def test_the_certificate_names_the_edition_attested(
        self, staff_user, new_edition, django_capture_on_commit_callbacks
    ):
        cycle, signatory = new_edition["cycle"], new_edition["signatory"]
        editions.guidelines_acknowledge(
            actor=signatory,
            licence=new_edition["licence"],
            version=new_edition["third"],
            typed_name="Ivan Signer",
            declared=True,
        )
        answer_everything(cycle, signatory)
        compliance.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
        compliance.cycle_start_review(actor=staff_user, cycle=cycle)
        with django_capture_on_commit_callbacks(execute=True):
            compliance.cycle_accept(actor=staff_user, cycle=cycle, grade="compliant")
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        content = document_read(certificate.pdf)
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
        assert "Guidelines edition 3rd edition" in " ".join(text.split())
        assert "2nd edition" not in text  # the licence's edition is not the one attested
