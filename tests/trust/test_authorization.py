"""Every new URL for each role: anonymous, a member of the company concerned, another member,
an auditor, staff. Public pages are public (an unlisted member's is 404 for everyone), the
status page opens only with its token, the admin pages are staff-only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory, auditor, signatory_of
from tests.files import png_bytes
from tests.helpers import login_with_mfa
from trust import services

from .helpers import listed_member

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member_concerned", "other_member", "auditor", "staff"]


@pytest.fixture
def world():
    member, licence = listed_member()
    _unlisted, unlisted_licence = listed_member(consent=False)
    other, _other_licence = listed_member()
    photo = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    report, token = services.report_submit(
        category="logo_rules",
        description="Logo on a shop window.",
        member=member,
        reporter_email="witness@example.net",
        files=[photo],
    )
    people = {
        "anonymous": None,
        "member_concerned": signatory_of(member),
        "other_member": signatory_of(other),
        "auditor": auditor(),
        "staff": UserFactory(staff=True),
    }
    return {
        "licence": licence,
        "unlisted_licence": unlisted_licence,
        "report": report,
        "token": token,
        "people": people,
    }


def client_as(client, user):
    if user is not None:
        login_with_mfa(client, user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_are_public_for_everyone(client, world, role):
    client = client_as(client, world["people"][role])
    number = world["licence"].number
    assert client.get(reverse("trust:member", args=[number])).status_code == 200
    assert client.get(reverse("trust:member", args=[number]) + "?format=json").status_code == 200
    assert client.get(reverse("trust:report")).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_an_unlisted_members_page_and_json_are_404_for_everyone(client, world, role):
    client = client_as(client, world["people"][role])
    url = reverse("trust:member", args=[world["unlisted_licence"].number])
    assert client.get(url).status_code == 404
    assert client.get(url + "?format=json").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_status_page_opens_only_with_its_token(client, world, role):
    client = client_as(client, world["people"][role])
    token = world["token"]
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(reverse("trust:report_status", args=[wrong])).status_code == 404
    assert client.get(reverse("trust:report_status", args=[token])).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_pages_of_reports_are_staff_only(client, world, role):
    client = client_as(client, world["people"][role])
    report = world["report"]
    document_id = report.evidence.get().document_id
    urls = [
        reverse("admin:trust_report_changelist"),
        reverse("admin:trust_report_change", args=[report.pk]),
        reverse("admin:trust_report_act", args=[report.pk, "acknowledge"]),
        reverse("admin:trust_report_document", args=[report.pk, document_id]),
    ]
    for url in urls:
        response = client.get(url)
        if role == "staff":
            assert response.status_code == 200, url
        else:
            # The admin sends everyone else to its login, and shows them nothing.
            assert response.status_code == 302, url
            assert "/login/" in response["Location"], url


def test_staff_without_the_report_permission_get_403(client, world):
    limited = UserFactory(staff=True)
    limited.groups.clear()
    login_with_mfa(client, limited)
    report = world["report"]
    assert client.get(reverse("admin:trust_report_changelist")).status_code == 403
    assert client.get(reverse("admin:trust_report_change", args=[report.pk])).status_code == 403
