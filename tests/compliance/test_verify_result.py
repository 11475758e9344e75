"""The public verify result says plainly what a certificate's status means."""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from compliance import services
from compliance.models import CertificateStatus, ComplianceCertificate, ForfeitureCase
from tests.factories import answer_everything, cycle_for, decider, signatory_of

S = CertificateStatus


def _accepted(staff, capture, licence=None):
    cycle = cycle_for("open", licence=licence)
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    with capture(execute=True):
        services.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    return ComplianceCertificate.objects.get(cycle=cycle)


def _decide(staff, licence, decision: str, grounds: str = "failure_to_attest") -> None:
    case = services.case_open(actor=staff, licence=licence, grounds=grounds, narrative="Late.")
    ForfeitureCase.objects.filter(pk=case.pk).update(status="window_closed")
    services.case_decide(
        actor=decider(), case=case, decision=decision, reasons="Confidential: board minute 7."
    )


def _page(client, certificate):
    response = client.get(reverse("verify:code", args=[certificate.verification_code]))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def _text(tree, element_id: str) -> str:
    (element,) = tree.xpath(f'//*[@id="{element_id}"]')
    return " ".join(element.text_content().split())


def _long(day) -> str:
    return date_format(day, "j E Y")


@pytest.mark.django_db
def test_valid_says_until_when_and_keeps_the_hash_under_technical_details(
    client, staff_user, django_capture_on_commit_callbacks
):
    certificate = _accepted(staff_user, django_capture_on_commit_callbacks)
    tree = _page(client, certificate)
    assert _text(tree, "verdict") == "Valid"
    assert f"It is valid until {_long(certificate.valid_until)}." in _text(tree, "meaning")
    assert _text(tree, "period-label") == "Valid"
    (details,) = tree.xpath('//details[@id="technical-details"]')
    assert details.get("open") is None  # collapsed until asked for
    assert certificate.pdf.sha256 in details.text_content()
    assert "fingerprint" in details.text_content()
    # The hash appears nowhere outside the technical details.
    details.getparent().remove(details)
    assert certificate.pdf.sha256 not in lxml.html.tostring(tree, encoding="unicode")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("decision", "category"),
    [
        ("suspension", "Reason: ALROSA suspended the licence (grounds: Failure to attest)."),
        (
            "forfeiture",
            "Reason: ALROSA declared the licence forfeited (grounds: Failure to attest).",
        ),
    ],
)
def test_revoked_gives_the_day_and_the_category_of_reason_never_valid(
    client, staff_user, django_capture_on_commit_callbacks, decision, category
):
    certificate = _accepted(staff_user, django_capture_on_commit_callbacks)
    _decide(staff_user, certificate.licence, decision)
    certificate.refresh_from_db()
    assert certificate.status == S.REVOKED
    tree = _page(client, certificate)
    assert _text(tree, "verdict") == "Revoked"
    meaning = _text(tree, "meaning")
    assert f"revoked on {_long(certificate.ended_at.date())}" in meaning
    assert _text(tree, "revocation-category") == category
    assert _text(tree, "period-label") == "Issued for the period"
    assert "Valid" not in tree.xpath("//dl")[0].text_content()
    page = lxml.html.tostring(tree, encoding="unicode")
    assert "board minute" not in page  # the reasons' text stays internal
    facts = client.get(
        reverse("verify:code", args=[certificate.verification_code]), {"format": "json"}
    ).json()
    assert facts["revoked_by_decision"] == decision
    assert facts["revoked_on_grounds"] == "failure_to_attest"


@pytest.mark.django_db
def test_expired_says_on_which_day(client, staff_user, django_capture_on_commit_callbacks):
    certificate = _accepted(staff_user, django_capture_on_commit_callbacks)
    yesterday = timezone.localdate() - timedelta(days=1)
    ComplianceCertificate.objects.filter(pk=certificate.pk).update(valid_until=yesterday)
    # Lapsed but not yet swept: already not valid.
    tree = _page(client, certificate)
    assert _text(tree, "verdict") == "Expired"
    assert f"it was valid until {_long(yesterday)}" in _text(tree, "meaning")
    assert _text(tree, "period-label") == "Issued for the period"
    assert services.certificates_expire_due() == 1
    certificate.refresh_from_db()
    tree = _page(client, certificate)
    assert _text(tree, "verdict") == "Expired"
    assert (
        f"expired on {_long(certificate.ended_at.date())}: it was valid until {_long(yesterday)}"
        in _text(tree, "meaning")
    )


@pytest.mark.django_db
def test_superseded_links_to_the_current_certificate(
    client, staff_user, django_capture_on_commit_callbacks
):
    old = _accepted(staff_user, django_capture_on_commit_callbacks)
    new = _accepted(staff_user, django_capture_on_commit_callbacks, licence=old.licence)
    old.refresh_from_db()
    assert (old.status, new.status) == (S.SUPERSEDED, S.ISSUED)
    tree = _page(client, old)
    assert _text(tree, "verdict") == "Superseded"
    assert "replaced by a newer one" in _text(tree, "meaning")
    (link,) = tree.xpath('//a[@id="current-certificate"]')
    assert link.get("href") == reverse("verify:code", args=[new.verification_code])
    current = lxml.html.fromstring(client.get(link.get("href")).content.decode())
    assert _text(current, "verdict") == "Valid" and new.number in current.text_content()


@pytest.mark.django_db
def test_the_meaning_is_said_in_russian(
    client, staff_user, django_capture_on_commit_callbacks, settings
):
    certificate = _accepted(staff_user, django_capture_on_commit_callbacks)
    _decide(staff_user, certificate.licence, "suspension")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    with translation.override(None):  # the request activates Russian: not for later tests
        tree = _page(client, certificate)
    assert _text(tree, "verdict") == "Отозван"
    assert "отозван" in _text(tree, "meaning")
    assert "Непредставление" in _text(tree, "revocation-category")
