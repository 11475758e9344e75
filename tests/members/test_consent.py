"""Personal-data consent: its own record (text hash, time, IP, browser) apart from the licence
agreement, given at sign-up or before an application, withdrawn by the person in the portal,
and seen by staff in the user and member admin and on the member's 360° page."""

import io

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from alliance_portal.documents import document_read
from alliance_portal.models import AuditEvent
from licensing import services as licensing_services
from licensing.agreement import agreement_text, sha256_text
from licensing.models import AgreementTemplate
from licensing.signing import consents
from members import services
from members.consent import consent_sha256, consent_text
from members.models import Application, DataConsent, Role, User
from tests.factories import PASSWORD, UserFactory, licence_in, member_with, signatory_of
from tests.helpers import login_with_mfa


def signup(client, email, **extra):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra},
        HTTP_USER_AGENT="Consent browser 2.0",
        REMOTE_ADDR="203.0.113.9",
    )


@pytest.mark.django_db
class TestAtSignUp:
    def test_no_account_without_consent(self, client):
        response = signup(client, "nina@example.org")
        assert response.status_code == 200
        assert "Consent to the processing of your personal data" in response.content.decode()
        assert not User.objects.filter(email="nina@example.org").exists()
        assert not DataConsent.objects.exists()

    def test_recorded_as_its_own_consent(self, client):
        response = signup(client, "nina@example.org", personal_data_consent="on")
        assert response.status_code == 302
        user = User.objects.get(email="nina@example.org")
        consent = DataConsent.objects.get(user=user)
        assert consent.wording == consent_text()
        assert consent.text_sha256 == consent_sha256(consent_text())
        assert (consent.ip, consent.user_agent) == ("203.0.113.9", "Consent browser 2.0")
        assert consent.language == "en" and consent.in_force
        event = AuditEvent.objects.get(action="consent.given")
        assert event.actor == user and event.payload["text_sha256"] == consent.text_sha256

    def test_in_russian_the_russian_text_is_hashed(self, client):
        client.cookies["django_language"] = "ru"
        signup(client, "ivan@example.org", personal_data_consent="on")
        consent = DataConsent.objects.get(user__email="ivan@example.org")
        with translation.override("ru"):
            assert consent.wording == consent_text()
        assert consent.language == "ru"
        assert consent.text_sha256 == consent_sha256(consent.wording)
        with translation.override("en"):
            assert consent.wording != consent_text()  # the English one differs


@pytest.mark.django_db
class TestBeforeAnApplication:
    def test_someone_without_consent_gives_it_before_starting(self, client):
        applicant = UserFactory()
        client.force_login(applicant)
        dashboard = client.get(reverse("dashboard")).content.decode()
        assert 'name="personal_data_consent"' in dashboard
        response = client.post(reverse("portal:application_start"))
        assert response.status_code == 302 and response["Location"] == reverse("dashboard")
        assert not Application.objects.exists() and not DataConsent.objects.exists()

        response = client.post(reverse("portal:application_start"), {"personal_data_consent": "on"})
        assert response.status_code == 302
        assert Application.objects.filter(applicant=applicant).count() == 1
        assert DataConsent.objects.filter(user=applicant, withdrawn_at__isnull=True).count() == 1
        dashboard = client.get(reverse("dashboard")).content.decode()
        assert 'name="personal_data_consent"' not in dashboard
        # With the consent in force, the next start asks nothing.
        client.post(reverse("portal:application_start"))
        assert Application.objects.filter(applicant=applicant).count() == 2
        assert DataConsent.objects.filter(user=applicant).count() == 1


@pytest.mark.django_db
class TestWithdrawal:
    def test_the_privacy_page_is_the_persons_own(self, client):
        url = reverse("portal:privacy")
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        for action in ("portal:privacy_withdraw", "portal:privacy_consent"):
            response = client.post(reverse(action))
            assert response["Location"].startswith(reverse("account_login"))
        person = UserFactory()
        services.consent_give(actor=person)
        other = UserFactory()
        client.force_login(other)
        page = client.get(url).content.decode()
        assert "No consent in force" in page
        client.post(reverse("portal:privacy_withdraw"))  # the other's own: nothing to withdraw
        assert DataConsent.objects.get(user=person).in_force
        assert client.get(reverse("portal:privacy_withdraw")).status_code == 405

    def test_withdrawn_in_the_portal_kept_and_given_again(self, client):
        person = UserFactory()
        services.consent_give(actor=person)
        client.force_login(person)
        page = client.get(reverse("portal:privacy")).content.decode()
        assert "Consent given" in page and "Withdraw my consent" in page
        response = client.post(
            reverse("portal:privacy_withdraw"),
            HTTP_USER_AGENT="Leaving browser",
            REMOTE_ADDR="192.0.2.44",
        )
        assert response.status_code == 302
        consent = DataConsent.objects.get(user=person)
        assert consent.withdrawn_at is not None and not consent.in_force
        assert (consent.withdrawal_ip, consent.withdrawal_user_agent) == (
            "192.0.2.44",
            "Leaving browser",
        )
        assert AuditEvent.objects.filter(action="consent.withdrawn", actor=person).count() == 1
        with pytest.raises(ValidationError, match="no consent in force"):
            services.consent_withdraw(actor=person)

        response = client.post(reverse("portal:privacy_consent"))  # the box not ticked
        assert DataConsent.objects.filter(user=person).count() == 1
        client.post(reverse("portal:privacy_consent"), {"personal_data_consent": "on"})
        assert DataConsent.objects.filter(user=person).count() == 2
        assert DataConsent.objects.filter(user=person, withdrawn_at__isnull=True).count() == 1
        with pytest.raises(ValidationError, match="already recorded"):
            services.consent_give(actor=person)

    def test_staff_see_the_withdrawal_in_the_admin_and_on_the_360_page(self, client):
        member, person = member_with(Role.COMPLIANCE_OFFICER)
        quiet = UserFactory(email="never@example.org")
        member.memberships.create(user=quiet, role=Role.VIEWER)
        services.consent_give(actor=person)
        services.consent_withdraw(actor=person)
        login_with_mfa(client, UserFactory(staff=True))

        user_page = client.get(reverse("admin:members_user_change", args=[person.pk]))
        assert user_page.status_code == 200
        html = user_page.content.decode()
        consent = DataConsent.objects.get(user=person)
        assert consent.text_sha256[:16] in html and "withdrawn" in html

        member_page = client.get(reverse("admin:members_member_change", args=[member.pk]))
        html = member_page.content.decode()
        assert "withdrawn on" in html and "not given" in html

        page = client.get(reverse("workbench:member", args=[member.pk])).content.decode()
        team = page.split('id="member-team"')[1].split("</table>")[0]
        assert "withdrawn on" in team and "not given" in team


@pytest.mark.django_db
def test_the_evidence_page_cites_the_e_signature_clause(django_capture_on_commit_callbacks):
    latest = AgreementTemplate.objects.order_by("-version").first()
    assert "7.2 ELECTRONIC SIGNATURE" in latest.body
    licence = licence_in("issued", template=latest)
    with django_capture_on_commit_callbacks(execute=True):
        licensing_services.licence_sign(
            actor=signatory_of(licence.member),
            licence=licence,
            typed_name="Ivan Petrov",
            typed_title="Director",
            accepted=[key for key, _text in consents()],
            shown_sha256=sha256_text(agreement_text(licence)),
        )
    licence.refresh_from_db()
    pdf = pypdf.PdfReader(io.BytesIO(document_read(licence.signed_pdf)))
    evidence = " ".join(pdf.pages[-1].extract_text().split())
    assert "By clause 7.2 of the agreement above" in evidence
    assert "binds the Licensee as a handwritten signature would" in evidence
