"""A listed member's public page at /register/<licence number>/ and its JSON."""

import json
from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import services as compliance
from compliance.models import CertificateStatus
from licensing import services as licensing
from licensing.models import LicenceAgreement, LicenceStatus
from tests.factories import UserFactory, licence_in
from trust.selectors import member_page

from .helpers import certificate_for, decide_case, listed_member

pytestmark = pytest.mark.django_db


def page_url(number, json_format=False):
    url = reverse("trust:member", args=[number])
    return url + "?format=json" if json_format else url


def json_ld(html):
    (script,) = lxml.html.fromstring(html).xpath('//script[@type="application/ld+json"]')
    return json.loads(script.text)


class TestWhoIsShown:
    def test_a_listed_member_in_good_standing_has_a_page_and_json(self, client):
        member, licence = listed_member()
        certificate = certificate_for(licence)
        response = client.get(page_url(licence.number))
        assert response.status_code == 200
        html = response.content.decode()
        assert member.legal_name in html and "In good standing" in html
        assert reverse("verify:code", args=[certificate.verification_code]) in html
        facts = client.get(page_url(licence.number, json_format=True)).json()
        assert facts["member"] == member.legal_name
        assert facts["licence_number"] == licence.number
        assert facts["standing"] == "good_standing" and facts["standing_since"] is None
        assert facts["certificate"]["status"] == "issued"
        assert facts["certificate"]["verify_url"].endswith(
            reverse("verify:code", args=[certificate.verification_code])
        )

    def test_a_member_that_does_not_consent_is_404_page_and_json(self, client):
        _member, licence = listed_member(consent=False)
        assert client.get(page_url(licence.number)).status_code == 404
        response = client.get(page_url(licence.number, json_format=True))
        assert response.status_code == 404
        assert response.json() == {"found": False}

    def test_an_unknown_or_draft_number_is_404(self, client):
        assert client.get(page_url("AA-2026-9999")).status_code == 404
        member, _licence = listed_member()
        draft = licence_in("issued", member=member)  # issued, awaiting signature: numbered
        LicenceAgreement.objects.filter(pk=draft.pk).update(status="draft")
        assert client.get(page_url(draft.number)).status_code == 404

    def test_any_number_the_member_held_leads_to_its_current_standing(self, client):
        member, current = listed_member()
        old = licence_in("expired", member=member, ended_at=timezone.now())
        response = client.get(page_url(old.number, json_format=True))
        assert response.status_code == 200
        assert response.json()["licence_number"] == current.number

    def test_an_expired_or_terminated_member_is_404(self, client):
        _member, licence = listed_member()
        LicenceAgreement.objects.filter(pk=licence.pk).update(
            status=LicenceStatus.EXPIRED, ended_at=timezone.now()
        )
        assert client.get(page_url(licence.number)).status_code == 404

    def test_a_licence_past_its_term_is_404_before_the_job_expires_it(self, client):
        _member, licence = listed_member()
        LicenceAgreement.objects.filter(pk=licence.pk).update(
            ends_on=timezone.localdate() - timedelta(days=1)
        )
        assert client.get(page_url(licence.number)).status_code == 404


class TestStanding:
    def test_a_suspension_decided_in_a_case_shows_suspended_since(self, client, staff_user):
        _member, licence = listed_member()
        certificate_for(licence)
        case = compliance.case_open(
            actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Logo misused."
        )
        decide_case(case, "suspension")
        facts = client.get(page_url(licence.number, json_format=True)).json()
        assert facts["standing"] == "suspended"
        assert facts["standing_since"] == timezone.localdate().isoformat()
        assert facts["certificate"]["status"] == CertificateStatus.REVOKED
        html = client.get(page_url(licence.number)).content.decode()
        assert "Suspended since" in html

    def test_a_suspension_is_shown_for_the_set_period_then_404(self, client, settings):
        settings.ALLIANCE_PUBLIC_STANDING_DAYS = 30
        _member, licence = listed_member()
        LicenceAgreement.objects.filter(pk=licence.pk).update(
            status=LicenceStatus.SUSPENDED, suspended_at=timezone.now() - timedelta(days=30)
        )
        assert client.get(page_url(licence.number)).status_code == 200
        LicenceAgreement.objects.filter(pk=licence.pk).update(
            suspended_at=timezone.now() - timedelta(days=31)
        )
        assert client.get(page_url(licence.number)).status_code == 404
        assert client.get(page_url(licence.number, json_format=True)).status_code == 404

    def test_a_forfeiture_shows_its_date_for_the_set_period_then_404(self, client, settings):
        settings.ALLIANCE_PUBLIC_STANDING_DAYS = 365
        _member, licence = listed_member()
        staff = UserFactory(staff=True, groups=["Customer policy staff", "Decision makers"])
        licensing.licence_forfeit(actor=staff, licence=licence, reason="Repeated logo misuse")
        facts = client.get(page_url(licence.number, json_format=True)).json()
        assert facts["standing"] == "forfeited"
        assert facts["standing_since"] == timezone.localdate().isoformat()
        assert "forfeited on" in client.get(page_url(licence.number)).content.decode()
        LicenceAgreement.objects.filter(pk=licence.pk).update(
            ended_at=timezone.now() - timedelta(days=366)
        )
        assert client.get(page_url(licence.number)).status_code == 404

    def test_reinstatement_clears_the_suspension(self, client):
        _member, licence = listed_member()
        staff = UserFactory(staff=True, groups=["Customer policy staff", "Decision makers"])
        licensing.licence_suspend(actor=staff, licence=licence, reason="Pending inquiry")
        licence.refresh_from_db()
        assert licence.suspended_at is not None
        licensing.licence_reinstate(actor=staff, licence=licence, reason="Inquiry closed")
        licence.refresh_from_db()
        assert licence.suspended_at is None
        facts = client.get(page_url(licence.number, json_format=True)).json()
        assert facts["standing"] == "good_standing"


class TestNothingTheRegisterDoesNotShow:
    def test_the_page_and_json_show_no_reason_registration_or_address(self, client, staff_user):
        member, licence = listed_member()
        member.registration_number = "SECRET-REG-42"
        member.address = "42 Hidden Lane, Antwerp"
        member.website = "https://hidden.example"
        member.save()
        case = compliance.case_open(
            actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Narrative X9"
        )
        decide_case(case, "suspension", reasons="Reason text Q7")
        for response in (
            client.get(page_url(licence.number)),
            client.get(page_url(licence.number, json_format=True)),
        ):
            body = response.content.decode()
            for secret in ("SECRET-REG-42", "Hidden Lane", "hidden.example", "Q7", "X9"):
                assert secret not in body
            assert "medium" not in body.lower().replace("text-", "")  # the risk rating

    def test_the_json_keys_are_the_registers_and_the_standing(self, client):
        _member, licence = listed_member()
        facts = client.get(page_url(licence.number, json_format=True)).json()
        register = client.get(reverse("public:register_json")).json()["members"][0]
        assert set(register) <= set(facts)
        assert {k: facts[k] for k in register} == register
        assert set(facts) - set(register) == {
            "standing",
            "standing_label",
            "standing_since",
            "certificate",
            "url",
        }

    def test_schema_org_organization_markup(self, client):
        member, licence = listed_member()
        data = json_ld(client.get(page_url(licence.number)).content.decode())
        assert data["@type"] == "Organization"
        assert data["name"] == member.legal_name
        assert data["identifier"]["value"] == licence.number
        assert data["address"] == {"@type": "PostalAddress", "addressCountry": "BE"}

    def test_markup_cannot_close_its_script(self, client):
        member, licence = listed_member()
        member.legal_name = "Evil </script><script>alert(1)</script> Ltd"
        member.save()
        html = client.get(page_url(licence.number)).content.decode()
        assert "</script><script>alert(1)" not in html
        assert json_ld(html)["name"] == member.legal_name


class TestRegisterLinks:
    def test_each_register_row_links_to_the_members_page(self, client):
        _member, licence = listed_member()
        html = client.get(reverse("public:register")).content.decode()
        assert f'href="{page_url(licence.number)}"' in html


class TestQueries:
    def test_the_selector_costs_three_queries(self, django_assert_num_queries):
        _member, licence = listed_member()
        certificate_for(licence)
        with django_assert_num_queries(3):
            assert member_page(licence.number) is not None

    def test_the_page_costs_the_same_queries_whatever_the_history(
        self, client, django_assert_num_queries
    ):
        member, licence = listed_member()
        certificate_for(licence)
        client.get(page_url(licence.number))
        with django_assert_num_queries(3):
            assert client.get(page_url(licence.number)).status_code == 200
        for _ in range(5):
            licence_in("expired", member=member, ended_at=timezone.now())
            certificate_for(licence, status=CertificateStatus.SUPERSEDED)
        for _ in range(5):
            listed_member()
        with django_assert_num_queries(3):
            assert client.get(page_url(licence.number)).status_code == 200
