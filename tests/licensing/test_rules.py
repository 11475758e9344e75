"""Rules of the licensing app each guarded by a test that fails when the rule is removed:
frozen terms, the logo kit and the register for licensees in good standing only, publishing
the Guidelines, editing sections and criteria only while the edition is being written, and
limits on the text staff type."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent
from licensing import editions, services
from licensing.agreement import agreement_text, sha256_text
from licensing.models import (
    AgreementTemplate,
    Criterion,
    GuidelinesSection,
    GuidelinesVersion,
    LicenceStatus,
    Signature,
)
from licensing.signing import consents
from members.models import Membership, Role
from tests.factories import MemberFactory, UserFactory, licence_in, signatory_of
from tests.helpers import login_with_mfa


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def criterion_fields(**overrides):
    return {
        "code": "1.1",
        "title_en": "A rule",
        "title_ru": "Правило",
        "description_en": "What the rule asks.",
        "description_ru": "Чего требует правило.",
        "evidence_en": "Proof.",
        "evidence_ru": "Доказательство.",
        **overrides,
    }


@pytest.fixture
def draft_edition(db):
    return GuidelinesVersion.objects.create(
        edition="3rd edition", title_en="Third", title_ru="Третья", adopted_on=date(2030, 1, 1)
    )


@pytest.fixture
def published_section(db):
    return GuidelinesSection.objects.filter(version__published_at__isnull=False).first()


# --- Agreement templates ----------------------------------------------------------------------


@pytest.mark.django_db
class TestAgreementTemplateSave:
    def test_new_and_unused_terms_are_saved_and_audited(self, staff_user):
        template = services.agreement_template_save(
            actor=staff_user,
            template=AgreementTemplate(version=5, title="v5", body="For $member_name."),
        )
        template.body = "For $member_name, again."
        services.agreement_template_save(actor=staff_user, template=template)
        assert AgreementTemplate.objects.get(version=5).body == "For $member_name, again."
        assert [e.payload["sha256"] for e in events("agreement_template.changed")] == [
            sha256_text("For $member_name, again.")
        ]
        assert len(events("agreement_template.created")) == 1

    def test_terms_in_use_never_change(self, staff_user):
        template = AgreementTemplate.objects.create(
            version=6, title="v6", body="Original.", first_used_at=timezone.now()
        )
        template.body = "Rewritten after signing."
        with pytest.raises(ValidationError, match="in use and cannot change"):
            services.agreement_template_save(actor=staff_user, template=template)
        assert AgreementTemplate.objects.get(pk=template.pk).body == "Original."
        assert not events("agreement_template.changed")

    def test_only_staff_save_terms(self):
        with pytest.raises(PermissionDenied):
            services.agreement_template_save(
                actor=UserFactory(), template=AgreementTemplate(version=7, title="x", body="x")
            )
        assert not AgreementTemplate.objects.filter(version=7).exists()


# --- Good standing: the logo kit and the register -----------------------------------------------


def ended_yesterday(**member_fields):
    """Active on paper, but its term ended yesterday: the nightly job has not run yet."""
    return licence_in(
        "active",
        member=MemberFactory(public_listing_consent=True, **member_fields),
        ends_on=timezone.localdate() - timedelta(days=1),
    )


@pytest.mark.django_db
class TestGoodStanding:
    def test_the_logo_kit_service_refuses_a_licence_not_active(self, staff_user):
        licence = licence_in("suspended")
        viewer = signatory_of(licence.member)
        with pytest.raises(PermissionDenied, match="active licensees only"):
            services.logo_kit_download(actor=viewer, licence=licence, rules_accepted=True)
        assert not events("licence.logo_kit_downloaded")

    def test_the_logo_kit_service_refuses_a_licence_whose_term_ended(self):
        licence = ended_yesterday()
        with pytest.raises(PermissionDenied, match="active licensees only"):
            services.logo_kit_download(actor=UserFactory(), licence=licence, rules_accepted=True)
        assert not events("licence.logo_kit_downloaded")

    def test_the_logo_kit_is_served_until_the_last_day_of_the_term(self):
        licence = licence_in("active", ends_on=timezone.localdate())
        content = services.logo_kit_download(
            actor=signatory_of(licence.member), licence=licence, rules_accepted=True
        )
        assert (
            "alrosa-alliance-logo/alliance-logo.svg"
            in zipfile.ZipFile(io.BytesIO(content)).namelist()
        )
        assert len(events("licence.logo_kit_downloaded")) == 1

    def test_no_logo_kit_page_once_the_term_ended(self, client):
        licence = ended_yesterday()
        viewer = UserFactory()
        Membership.objects.create(member=licence.member, user=viewer, role=Role.VIEWER)
        client.force_login(viewer)
        url = reverse("licensing:logo_kit", args=[licence.member_id])
        assert client.get(url).status_code == 404
        assert client.post(url, {"accept_rules": "on"}).status_code == 404
        licence_in("active", member=MemberFactory())  # another member's kit changes nothing
        assert not events("licence.logo_kit_downloaded")

    def test_a_term_ended_leaves_the_register_before_the_nightly_job(self, client):
        licence_in(
            "active", member=MemberFactory(legal_name="Current Ltd", public_listing_consent=True)
        )
        ended_yesterday(legal_name="Lapsed Ltd")
        licence_in(
            "active",
            member=MemberFactory(legal_name="Last Day Ltd", public_listing_consent=True),
            ends_on=timezone.localdate(),
        )
        body = client.get(reverse("public:register_json")).json()
        assert [m["member"] for m in body["members"]] == ["Current Ltd", "Last Day Ltd"]
        html = client.get(reverse("public:register")).content.decode()
        assert "Current Ltd" in html and "Lapsed Ltd" not in html


# --- Publishing the Guidelines ----------------------------------------------------------------


@pytest.mark.django_db
class TestGuidelinesPublish:
    def test_an_edition_without_criteria_is_refused(self, staff_user, draft_edition):
        GuidelinesSection.objects.create(
            version=draft_edition, number=1, title_en="Empty", title_ru="Пусто"
        )
        with pytest.raises(ValidationError, match="at least one criterion"):
            services.guidelines_publish(actor=staff_user, version=draft_edition)
        draft_edition.refresh_from_db()
        assert not draft_edition.is_published
        assert not events("guidelines.published")

    def test_publishing_freezes_the_edition_once_and_is_audited(self, staff_user, draft_edition):
        section = GuidelinesSection.objects.create(
            version=draft_edition, number=1, title_en="One", title_ru="Один"
        )
        Criterion.objects.create(section=section, **criterion_fields())
        # The mapping from the 2nd edition, proposed by code (complete: nothing left unsaid).
        editions.criterion_mappings_propose(actor=staff_user, version=draft_edition)
        services.guidelines_publish(actor=staff_user, version=draft_edition)
        draft_edition.refresh_from_db()
        published_at = draft_edition.published_at
        assert published_at is not None
        [event] = events("guidelines.published")
        assert (event.actor, event.target_id) == (staff_user, str(draft_edition.pk))
        with pytest.raises(ValidationError, match="already published"):
            services.guidelines_publish(actor=staff_user, version=draft_edition)
        draft_edition.refresh_from_db()
        assert draft_edition.published_at == published_at
        assert len(events("guidelines.published")) == 1

    def test_only_staff_publish(self, draft_edition):
        with pytest.raises(PermissionDenied):
            services.guidelines_publish(actor=UserFactory(), version=draft_edition)


# --- Sections and criteria --------------------------------------------------------------------


@pytest.mark.django_db
class TestSectionsAndCriteria:
    def test_a_section_and_its_criterion_are_added_and_changed_with_audit_rows(
        self, staff_user, draft_edition
    ):
        section = services.guidelines_section_save(
            actor=staff_user,
            section=GuidelinesSection(version=draft_edition, number=1, title_en="A", title_ru="А"),
        )
        section.title_en = "Anti-corruption"
        services.guidelines_section_save(actor=staff_user, section=section)
        criterion = services.criterion_save(
            actor=staff_user, criterion=Criterion(section=section, **criterion_fields())
        )
        criterion.title_en = "A clearer rule"
        services.criterion_save(actor=staff_user, criterion=criterion)
        assert GuidelinesSection.objects.get(pk=section.pk).title_en == "Anti-corruption"
        assert Criterion.objects.get(pk=criterion.pk).title_en == "A clearer rule"
        assert [e.payload["title_en"] for e in events("guidelines.section_changed")] == [
            "Anti-corruption"
        ]
        assert len(events("guidelines.section_created")) == 1
        assert len(events("guidelines.criterion_created")) == 1
        assert [e.payload["title_en"] for e in events("guidelines.criterion_changed")] == [
            "A clearer rule"
        ]
        services.criterion_delete(actor=staff_user, criterion=criterion)
        assert not Criterion.objects.filter(section=section).exists()
        [deleted] = events("guidelines.criterion_deleted")
        assert deleted.payload["code"] == "1.1" and deleted.target_id == str(section.pk)

    def test_a_published_edition_refuses_every_change(self, staff_user, published_section):
        published = published_section.version
        before = AuditEvent.objects.count()
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.guidelines_section_save(
                actor=staff_user,
                section=GuidelinesSection(version=published, number=99, title_en="X", title_ru="X"),
            )
        published_section.title_en = "Rewritten"
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.guidelines_section_save(actor=staff_user, section=published_section)
        criterion = published_section.criteria.first()
        original = criterion.description_en
        criterion.description_en = "Rewritten"
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.criterion_save(actor=staff_user, criterion=criterion)
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.criterion_save(
                actor=staff_user,
                criterion=Criterion(section=published_section, **criterion_fields(code="9.9")),
            )
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.criterion_delete(actor=staff_user, criterion=criterion)
        assert GuidelinesSection.objects.get(pk=published_section.pk).title_en != "Rewritten"
        assert Criterion.objects.get(pk=criterion.pk).description_en == original
        assert not GuidelinesSection.objects.filter(number=99).exists()
        assert AuditEvent.objects.count() == before

    def test_nothing_moves_out_of_a_published_edition(
        self, staff_user, draft_edition, published_section
    ):
        published_section.version = draft_edition
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.guidelines_section_save(actor=staff_user, section=published_section)
        draft_section = GuidelinesSection.objects.create(
            version=draft_edition, number=1, title_en="One", title_ru="Один"
        )
        criterion = Criterion.objects.get(
            pk=Criterion.objects.filter(section__version__published_at__isnull=False).first().pk
        )
        criterion.section = draft_section
        with pytest.raises(ValidationError, match="published and cannot change"):
            services.criterion_save(actor=staff_user, criterion=criterion)
        assert GuidelinesSection.objects.get(pk=published_section.pk).version.is_published

    def test_only_staff_edit_the_guidelines(self, draft_edition):
        with pytest.raises(PermissionDenied):
            services.guidelines_section_save(
                actor=UserFactory(),
                section=GuidelinesSection(
                    version=draft_edition, number=1, title_en="A", title_ru="А"
                ),
            )
        assert not draft_edition.sections.exists()


@pytest.fixture
def guidelines_editor(client, staff_user):
    staff_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="licensing",
            content_type__model__in=["guidelinessection", "criterion"],
        )
    )
    login_with_mfa(client, staff_user)
    return client


def section_form(edition, criteria=(), **fields):
    data = {
        "version": edition.pk,
        "number": 1,
        "title_en": "One",
        "title_ru": "Один",
        "criteria-TOTAL_FORMS": str(len(criteria)),
        "criteria-INITIAL_FORMS": "0",
        **fields,
    }
    for i, criterion in enumerate(criteria):
        for name, value in criterion.items():
            data[f"criteria-{i}-{name}"] = value
        data[f"criteria-{i}-position"] = str(i)
    return data


@pytest.mark.django_db
class TestGuidelinesInTheAdmin:
    def test_the_admin_adds_through_the_services(self, guidelines_editor, draft_edition):
        response = guidelines_editor.post(
            reverse("admin:licensing_guidelinessection_add"),
            section_form(draft_edition, [criterion_fields()]),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        section = GuidelinesSection.objects.get(version=draft_edition)
        assert section.criteria.get().code == "1.1"
        assert [e.target_id for e in events("guidelines.section_created")] == [str(section.pk)]
        assert len(events("guidelines.criterion_created")) == 1

    def test_a_published_section_cannot_be_changed_in_the_admin(
        self, guidelines_editor, published_section
    ):
        url = reverse("admin:licensing_guidelinessection_change", args=[published_section.pk])
        response = guidelines_editor.post(
            url, section_form(published_section.version, title_en="Rewritten")
        )
        assert response.status_code == 403
        assert GuidelinesSection.objects.get(pk=published_section.pk).title_en != "Rewritten"

    def test_a_too_long_description_is_refused_with_the_message(
        self, guidelines_editor, draft_edition
    ):
        response = guidelines_editor.post(
            reverse("admin:licensing_guidelinessection_add"),
            section_form(draft_edition, [criterion_fields(description_en="d" * 5001)]),
        )
        assert response.status_code == 200
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        assert not GuidelinesSection.objects.filter(version=draft_edition).exists()


# --- What staff and signatories type ---------------------------------------------------------


@pytest.mark.django_db
class TestTextLimits:
    def test_a_too_long_reason_to_terminate_is_refused(self, client, staff_user):
        licence = licence_in("active")
        login_with_mfa(client, staff_user)
        url = reverse("admin:licensing_licenceagreement_act", args=[licence.pk, "terminate"])
        response = client.post(url, {"reason": "r" * 5001})
        assert response.status_code == 400
        assert "at most 5000 characters (it has 5001)" in response.content.decode()
        licence.refresh_from_db()
        assert licence.status == LicenceStatus.ACTIVE and licence.status_reason == ""

    def test_a_name_too_long_is_refused_by_the_service_not_cut(self):
        licence = licence_in("issued")
        with pytest.raises(ValidationError, match="at most 200 characters"):
            services.licence_sign(
                actor=signatory_of(licence.member),
                licence=licence,
                typed_name="N" * 201,
                typed_title="Director",
                accepted=[key for key, _text in consents()],
                shown_sha256=sha256_text(agreement_text(licence)),
            )
        assert not Signature.objects.exists()
