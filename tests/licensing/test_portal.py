"""The licence in the portal, the logo kit and the public register."""

import io
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.cache_versions import PUBLIC_REGISTER, namespace_bump_now
from alliance_portal.models import AuditEvent
from licensing.agreement import agreement_text, sha256_text
from licensing.models import LicenceStatus, Signature
from licensing.signing import consents
from members.models import Membership, Role
from tests.factories import (
    PASSWORD,
    MemberFactory,
    UserFactory,
    licence_in,
    member_with,
    signatory_of,
)
from tests.helpers import login_with_password, reauthenticate

METHODS = ["get", "post", "put", "delete"]


def sign_data(licence, **overrides):
    return {
        "accepted": [key for key, _text in consents()],
        "typed_name": "Ivan Petrov",
        "typed_title": "Director",
        "shown_sha256": sha256_text(agreement_text(licence)),
        **overrides,
    }


@pytest.fixture
def signed(db, django_capture_on_commit_callbacks):
    """An active licence with its signature and signed PDF."""
    from licensing import services

    licence = licence_in("issued")
    with django_capture_on_commit_callbacks(execute=True):
        services.licence_sign(
            actor=signatory_of(licence.member),
            licence=licence,
            typed_name="Ivan Petrov",
            typed_title="Director",
            accepted=[key for key, _text in consents()],
            shown_sha256=sha256_text(agreement_text(licence)),
        )
    licence.refresh_from_db()
    return licence


@pytest.mark.django_db
@pytest.mark.parametrize("method", METHODS)
def test_another_member_gets_404_on_licence_pdf_and_logo_kit(client, signed, method):
    _member_b, outsider = member_with(Role.SIGNATORY)
    licence_in("active", member=_member_b)
    client.force_login(outsider)
    urls = [
        reverse("licensing:licence_detail", args=[signed.pk]),
        reverse("licensing:licence_sign", args=[signed.pk]),
        reverse("licensing:licence_pdf", args=[signed.pk]),
        reverse("licensing:logo_kit", args=[signed.member_id]),
    ]
    events = AuditEvent.objects.count()
    for url in urls:
        assert getattr(client, method)(url).status_code == 404, (method, url)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
class TestSigningPage:
    def test_the_signatory_reads_and_signs(self, client):
        licence = licence_in("issued")
        login_with_password(client, signatory_of(licence.member))
        page = client.get(reverse("licensing:licence_sign", args=[licence.pk]))
        html = page.content.decode()
        assert licence.member.legal_name in html
        assert "2.2 Countering bribery and corruption" in html
        assert sha256_text(agreement_text(licence)) in html
        response = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence)
        )
        assert response.status_code == 302
        licence.refresh_from_db()
        assert licence.status == LicenceStatus.ACTIVE
        # The second tab or click: a calm message, still one signature.
        again = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence), follow=True
        )
        assert again.status_code == 200
        assert "already been signed" in again.content.decode()
        assert Signature.objects.count() == 1

    def test_changed_text_asks_to_read_again(self, client):
        licence = licence_in("issued")
        login_with_password(client, signatory_of(licence.member))
        data = sign_data(licence)
        licence.member.address = "Moved to a new address"
        licence.member.save()
        response = client.post(reverse("licensing:licence_sign", args=[licence.pk]), data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Please read it again" in html
        assert "Moved to a new address" in html
        assert sha256_text(agreement_text(licence)) in html  # the new fingerprint to sign
        assert not Signature.objects.exists()

    def test_missing_consent_is_a_400(self, client):
        licence = licence_in("issued")
        login_with_password(client, signatory_of(licence.member))
        response = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]),
            sign_data(licence, accepted=["read"]),
        )
        assert response.status_code == 400
        assert "Tick every statement" in response.content.decode()

    @pytest.mark.parametrize("role", [Role.VIEWER, Role.COMPLIANCE_OFFICER])
    def test_viewer_and_compliance_officer_cannot_sign(self, client, role):
        licence = licence_in("issued")
        other = UserFactory()
        Membership.objects.create(member=licence.member, user=other, role=role)
        client.force_login(other)
        assert client.get(reverse("licensing:licence_detail", args=[licence.pk])).status_code == 200
        assert client.get(reverse("licensing:licence_sign", args=[licence.pk])).status_code == 403
        response = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence)
        )
        assert response.status_code == 403
        assert not Signature.objects.exists()


@pytest.mark.django_db
class TestSigningAsksForARecentAuthentication:
    def test_a_login_ten_minutes_old_is_sent_to_reauthenticate_and_nothing_is_signed(self, client):
        licence = licence_in("issued")
        login_with_password(client, signatory_of(licence.member), seconds_ago=600)
        url = reverse("licensing:licence_sign", args=[licence.pk])
        assert client.get(url).status_code == 200  # reading asks for nothing
        response = client.post(url, sign_data(licence))
        assert response.status_code == 302
        assert response.url == f"{reverse('account_reauthenticate')}?next={quote(url, safe='')}"
        assert not Signature.objects.exists()
        licence.refresh_from_db()
        assert licence.status == LicenceStatus.ISSUED

    def test_a_session_that_never_says_when_is_asked_too(self, client):
        licence = licence_in("issued")
        client.force_login(signatory_of(licence.member))
        response = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence)
        )
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert not Signature.objects.exists()

    def test_after_reauthenticating_the_post_signs_and_the_time_is_kept(self, client):
        licence = licence_in("issued")
        signatory = signatory_of(licence.member)
        login_with_password(client, signatory, seconds_ago=600)
        at = reauthenticate(client, signatory)
        response = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence)
        )
        assert response.url == reverse("licensing:licence_detail", args=[licence.pk])
        signature = Signature.objects.get(licence=licence)
        assert abs(signature.authenticated_at.timestamp() - at) < 0.001
        event = AuditEvent.objects.get(action="licence.signed", target_id=str(licence.pk))
        assert event.payload["authenticated_at"] == signature.authenticated_at.isoformat()

    def test_the_password_page_replays_the_signature(self, client, settings):
        settings.ALLIANCE_REAUTHENTICATION_MINUTES = 2
        licence = licence_in("issued")
        signatory = signatory_of(licence.member)
        login_with_password(client, signatory, seconds_ago=180)
        asked = client.post(
            reverse("licensing:licence_sign", args=[licence.pk]), sign_data(licence)
        )
        assert not Signature.objects.exists()
        before = timezone.now()
        done = client.post(asked.url, {"password": PASSWORD})
        assert done.status_code == 302
        assert done.url == reverse("licensing:licence_detail", args=[licence.pk])
        signature = Signature.objects.get(licence=licence)
        assert signature.typed_name == "Ivan Petrov"
        assert before - timedelta(seconds=1) <= signature.authenticated_at <= signature.signed_at


@pytest.mark.django_db
class TestDownloads:
    def test_member_users_download_the_signed_pdf(self, client, signed):
        client.force_login(signatory_of(signed.member))
        response = client.get(reverse("licensing:licence_pdf", args=[signed.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["Content-Type"] == "application/pdf"

    def test_logo_kit_for_active_licensees_only_and_audited(self, client, signed):
        viewer = UserFactory()
        Membership.objects.create(member=signed.member, user=viewer, role=Role.VIEWER)
        client.force_login(viewer)
        response = client.post(
            reverse("licensing:logo_kit", args=[signed.member_id]), {"accept_rules": "on"}
        )
        assert response.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert "alrosa-alliance-logo/alliance-logo.svg" in names
        assert "alrosa-alliance-logo/usage-rules.txt" in names
        assert (
            AuditEvent.objects.filter(action="licence.logo_kit_downloaded", actor=viewer).count()
            == 1
        )
        from licensing import services

        services.licence_suspend(
            actor=UserFactory(staff=True), licence=signed, reason="Findings open."
        )
        url = reverse("licensing:logo_kit", args=[signed.member_id])
        assert client.post(url, {"accept_rules": "on"}).status_code == 404


def listed_member(**fields):
    return MemberFactory(public_listing_consent=True, **fields)


@pytest.mark.django_db
class TestRegister:
    def test_only_active_consenting_members_are_listed(self, client):
        listed = licence_in("active", member=listed_member(legal_name="Listed Ltd"))
        licence_in(
            "active", member=MemberFactory(legal_name="Private Ltd", public_listing_consent=False)
        )
        for status in ("suspended", "forfeited", "expired", "terminated", "issued"):
            licence_in(
                status,
                member=listed_member(legal_name=f"{status} Ltd"),
            )
        body = client.get(reverse("public:register_json")).json()
        assert [m["member"] for m in body["members"]] == ["Listed Ltd"]
        assert body["members"][0]["licence_number"] == listed.number
        html = client.get(reverse("public:register")).content.decode()
        assert "Listed Ltd" in html and "Private Ltd" not in html and "suspended Ltd" not in html

    def test_a_suspension_removes_the_member_at_once(self, client, staff_user):
        from licensing import services

        licence = licence_in("active", member=listed_member(legal_name="Soon Gone"))
        assert "Soon Gone" in client.get(reverse("public:register")).content.decode()
        services.licence_suspend(actor=staff_user, licence=licence, reason="Open findings.")
        assert "Soon Gone" not in client.get(reverse("public:register")).content.decode()

    def test_search_and_json_match_the_page(self, client):
        licence_in(
            "active",
            member=MemberFactory(
                legal_name="Antwerp Rough NV", country="BE", public_listing_consent=True
            ),
        )
        licence_in(
            "active",
            member=MemberFactory(
                legal_name="Dubai Polished", country="AE", public_listing_consent=True
            ),
        )
        found = client.get(reverse("public:register"), {"q": "antwerp"}).content.decode()
        assert "Antwerp Rough NV" in found and "Dubai Polished" not in found
        as_json = client.get(reverse("public:register"), {"q": "AE", "format": "json"}).json()
        assert [m["member"] for m in as_json["members"]] == ["Dubai Polished"]

    def test_fixed_number_of_queries(self, client, django_assert_num_queries):
        for _i in range(3):
            licence_in("active", member=listed_member())
        with django_assert_num_queries(2):  # the count and the page
            assert client.get(reverse("public:register_json")).status_code == 200
        for _i in range(20):
            licence_in("active", member=listed_member())
        namespace_bump_now(PUBLIC_REGISTER)  # factories skip the services that bump it
        with django_assert_num_queries(2):
            body = client.get(reverse("public:register_json")).json()
        assert body["count"] == 23
        with django_assert_num_queries(0):  # cached
            assert client.get(reverse("public:register_json")).json() == body
