"""Licences in the admin: issue, filters, evidence, and only the allowed buttons."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.models import AgreementTemplate, GuidelinesVersion, LicenceAgreement
from tests.factories import MemberFactory, UserFactory, licence_in, member_with
from tests.helpers import login_with_mfa


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


@pytest.mark.django_db
def test_staff_issue_a_licence_from_the_admin(staff_client, staff_user):
    member, _signatory = member_with()
    response = staff_client.post(
        reverse("admin:licensing_licenceagreement_add"),
        {
            "member": member.pk,
            "template": AgreementTemplate.objects.get(version=1).pk,
            "guidelines": GuidelinesVersion.objects.get().pk,
            "term_years": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    licence = LicenceAgreement.objects.get(member=member)
    assert licence.status == "issued" and licence.number.startswith("AA-")
    assert licence.issued_by == staff_user


@pytest.mark.django_db
def test_a_bad_term_is_refused_clearly(staff_client):
    member, _signatory = member_with()
    response = staff_client.post(
        reverse("admin:licensing_licenceagreement_add"),
        {
            "member": member.pk,
            "template": AgreementTemplate.objects.get(version=1).pk,
            "guidelines": GuidelinesVersion.objects.get().pk,
            "term_years": 7,
        },
    )
    assert response.status_code in (200, 400)
    assert "less than or equal to 3" in response.content.decode()
    assert not LicenceAgreement.objects.exists()


@pytest.mark.django_db
def test_expiring_filter_and_list_queries(staff_client, django_assert_max_num_queries):
    soon = licence_in("active", ends_on=timezone.localdate() + timedelta(days=30))
    licence_in("active", ends_on=timezone.localdate() + timedelta(days=400))
    url = reverse("admin:licensing_licenceagreement_changelist")
    shown = staff_client.get(url, {"expiring": "90"}).context["cl"].result_list
    assert [licence.pk for licence in shown] == [soon.pk]
    staff_client.get(url)
    with django_assert_max_num_queries(30) as few:
        staff_client.get(url)
    for _ in range(6):
        licence_in("active", member=MemberFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(url)


@pytest.mark.django_db
def test_only_allowed_transitions_have_buttons(staff_client):
    licence = licence_in("active")
    html = staff_client.get(
        reverse("admin:licensing_licenceagreement_change", args=[licence.pk])
    ).content.decode()

    def act(action: str) -> str:
        return reverse("admin:licensing_licenceagreement_act", args=[licence.pk, action])

    for allowed in ("terminate", "expire", "renew"):
        assert act(allowed) in html, allowed
    # Suspension and forfeiture are decided in a forfeiture case, never by one pair of hands.
    for refused in ("issue", "withdraw", "suspend", "forfeit", "reinstate"):
        assert act(refused) not in html, refused
    assert staff_client.post(act("forfeit"), {"reason": "x"}).status_code == 404
    no_reason = staff_client.post(act("terminate"), {"reason": ""})
    assert no_reason.status_code == 400
    early = staff_client.post(act("expire"))
    assert early.status_code == 400 and "terminate it to end it earlier" in early.content.decode()
    assert staff_client.post(act("terminate"), {"reason": "Contract ended."}).status_code == 302
    licence.refresh_from_db()
    assert licence.status == "terminated" and licence.status_reason == "Contract ended."


@pytest.mark.django_db
def test_a_used_template_cannot_change(staff_client):
    template = AgreementTemplate.objects.get(version=1)
    AgreementTemplate.objects.filter(pk=template.pk).update(first_used_at=timezone.now())
    response = staff_client.post(
        reverse("admin:licensing_agreementtemplate_change", args=[template.pk]),
        {"version": 1, "title": "Changed", "body": "Changed"},
    )
    template.refresh_from_db()
    assert template.title != "Changed"
    assert response.status_code in (200, 302, 403)


@pytest.mark.django_db
def test_unknown_placeholders_are_refused(staff_client):
    response = staff_client.post(
        reverse("admin:licensing_agreementtemplate_add"),
        {"version": 9, "title": "v9", "body": "Licence for $member_name and $secret_key"},
    )
    assert response.status_code == 200
    assert "Unknown placeholders: secret_key" in response.content.decode()
    assert not AgreementTemplate.objects.filter(version=9).exists()


@pytest.mark.django_db
def test_members_cannot_act_on_licences(client):
    licence = licence_in("active")
    client.force_login(UserFactory())
    url = reverse("admin:licensing_licenceagreement_act", args=[licence.pk, "terminate"])
    assert client.post(url, {"reason": "x"}, follow=True).status_code == 403
    licence.refresh_from_db()
    assert licence.status == "active"


@pytest.mark.django_db
def test_staff_download_the_signed_pdf_from_the_admin(staff_client, staff_user):
    from alliance_portal.documents import document_store_generated
    from alliance_portal.models import AuditEvent

    licence = licence_in("active")
    licence.signed_pdf = document_store_generated(
        name="x-signed.pdf", content=b"%PDF-1.7 test", content_type="application/pdf"
    )
    licence.save()
    response = staff_client.get(reverse("admin:licensing_licenceagreement_pdf", args=[licence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert AuditEvent.objects.filter(action="document.downloaded", actor=staff_user).exists()
    bad = staff_client.get("/admin/licensing/licenceagreement/abc/act/issue/")
    assert bad.status_code == 404


@pytest.mark.django_db
def test_sections_cannot_be_added_to_a_published_edition(client):
    from licensing.models import GuidelinesSection

    superuser = UserFactory(staff=True, is_superuser=True)
    login_with_mfa(client, superuser)
    published = GuidelinesVersion.objects.get()
    response = client.post(
        reverse("admin:licensing_guidelinessection_add"),
        {
            "version": published.pk,
            "number": 9,
            "title_en": "Extra",
            "title_ru": "Доп.",
            "criteria-TOTAL_FORMS": "0",
            "criteria-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form refuses the published edition
    assert not GuidelinesSection.objects.filter(number=9).exists()
