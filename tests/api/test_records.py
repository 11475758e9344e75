"""Reads: every endpoint family denies first (other company 404, no permission 403), then
allows; filters, pages with next links, ETags and query budgets."""

import datetime

import pytest
from django.utils import timezone

from compliance.models import ComplianceCertificate
from licensing.models import LicenceAgreement
from members.models import Membership, Role
from tests.api.conftest import bearer, make_token
from tests.factories import UserFactory, cycle_for, licence_in

API = "/api/v1"


def is_problem(response, status):
    body = response.json()
    return (
        response.status_code == status
        and response["Content-Type"] == "application/problem+json"
        and body["status"] == status
        and body["type"] == "about:blank"
        and body["title"]
        and body["detail"]
    )


@pytest.mark.django_db
class TestMemberScope:
    @pytest.mark.parametrize(
        ("kind", "attr"),
        [("licences", "licence"), ("cycles", "cycle"), ("certificates", "certificate")],
    )
    def test_another_companys_record_is_404_own_is_200(
        self, member_a, company_a, company_b, kind, attr
    ):
        theirs = member_a.get(f"{API}/{kind}/{getattr(company_b, attr).pk}")
        assert is_problem(theirs, 404)
        own = member_a.get(f"{API}/{kind}/{getattr(company_a, attr).pk}")
        assert own.status_code == 200
        assert own.json()["id"] == getattr(company_a, attr).pk

    @pytest.mark.parametrize("kind", ["licences", "cycles", "certificates"])
    def test_lists_hold_only_own_records(self, member_a, company_a, company_b, kind):
        body = member_a.get(f"{API}/{kind}").json()
        assert body["count"] == 1
        assert {row["member_id"] for row in body["results"]} == {company_a.member.pk}

    @pytest.mark.parametrize(
        "path", ["members", "applications", "findings", "cases", "members/{member}"]
    )
    def test_staff_only_records_are_403(self, member_a, company_a, path):
        response = member_a.get(f"{API}/{path.format(member=company_a.member.pk)}")
        assert is_problem(response, 403)

    def test_a_draft_licence_is_not_the_members_yet(self, member_a, company_a):
        draft = licence_in("draft", member=company_a.member)
        assert is_problem(member_a.get(f"{API}/licences/{draft.pk}"), 404)

    def test_a_pending_certificate_is_not_shown(self, member_a, company_a):
        ComplianceCertificate.objects.filter(pk=company_a.certificate.pk).update(status="pending")
        assert is_problem(member_a.get(f"{API}/certificates/{company_a.certificate.pk}"), 404)


@pytest.mark.django_db
class TestStaffScope:
    @pytest.mark.parametrize(
        "path",
        [
            "members",
            "members/{member}",
            "applications",
            "licences",
            "licences/{licence}",
            "cycles",
            "cycles/{cycle}",
            "findings",
            "cases",
            "certificates",
            "certificates/{certificate}",
        ],
    )
    def test_without_the_permission_403_with_it_200(
        self, bare_staff, staff_reader, company_b, path
    ):
        url = f"{API}/" + path.format(
            member=company_b.member.pk,
            licence=company_b.licence.pk,
            cycle=company_b.cycle.pk,
            certificate=company_b.certificate.pk,
        )
        assert is_problem(bare_staff.get(url), 403)
        assert staff_reader.get(url).status_code == 200

    def test_staff_see_every_company(self, staff_reader, company_a, company_b):
        body = staff_reader.get(f"{API}/licences").json()
        assert {row["member_id"] for row in body["results"]} == {
            company_a.member.pk,
            company_b.member.pk,
        }

    def test_finding_and_case_details(self, staff_reader, finding_b, company_b, staff_user):
        from compliance import services

        case = services.case_open(
            actor=staff_user, licence=company_b.licence, grounds="logo_misuse", narrative="Scrap."
        )
        finding = staff_reader.get(f"{API}/findings/{finding_b.pk}").json()
        assert finding["member_id"] == company_b.member.pk and finding["severity"] == "minor"
        body = staff_reader.get(f"{API}/cases/{case.pk}").json()
        assert body["status"] == "opened" and body["member_id"] == company_b.member.pk

    def test_unknown_record_is_404(self, staff_reader):
        assert is_problem(staff_reader.get(f"{API}/licences/999999"), 404)


@pytest.mark.django_db
class TestFilters:
    def test_status_member_and_updated_since(self, staff_reader, company_a, company_b):
        cycle_for("open", licence=company_a.licence)
        by_status = staff_reader.get(f"{API}/cycles", {"status": "open"}).json()
        assert [row["status"] for row in by_status["results"]] == ["open"]
        by_member = staff_reader.get(f"{API}/cycles", {"member": company_b.member.pk}).json()
        assert {row["member_id"] for row in by_member["results"]} == {company_b.member.pk}
        old = timezone.now() - datetime.timedelta(days=400)
        LicenceAgreement.objects.filter(pk=company_a.licence.pk).update(created_at=old)
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        recent = staff_reader.get(f"{API}/licences", {"updated_since": since}).json()
        assert [row["id"] for row in recent["results"]] == [company_b.licence.pk]

    def test_an_unknown_status_is_422(self, staff_reader):
        response = staff_reader.get(f"{API}/licences", {"status": "sparkling"})
        assert is_problem(response, 422)
        assert response.json()["errors"][0]["loc"][-1] == "status"

    @pytest.mark.parametrize(
        "query",
        [
            {"limit": 0},
            {"limit": 101},
            {"offset": -1},
            {"member": 2**64},
            {"updated_since": "yesterday"},
        ],
    )
    def test_bad_parameters_are_422_never_500(self, staff_reader, query):
        assert is_problem(staff_reader.get(f"{API}/members", query), 422)

    def test_a_huge_id_is_422(self, staff_reader):
        assert is_problem(staff_reader.get(f"{API}/licences/{2**70}"), 422)


@pytest.mark.django_db
class TestPagesAndETags:
    def test_next_links_walk_every_record_once(self, staff_reader, company_a):
        for _ in range(4):
            licence_in("expired", member=company_a.member)
        url, seen = f"{API}/licences?limit=2&status=expired", []
        while url:
            body = staff_reader.get(url).json()
            assert body["count"] == 4
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
            if url:
                assert url.startswith("http://testserver/api/v1/licences?")
                assert "status=expired" in url
        assert sorted(seen) == sorted(
            LicenceAgreement.objects.filter(status="expired").values_list("pk", flat=True)
        )
        assert len(seen) == 4

    def test_if_none_match_gives_304_until_something_changes(self, member_a, company_a):
        url = f"{API}/licences/{company_a.licence.pk}"
        first = member_a.get(url)
        etag = first["ETag"]
        assert etag and "Authorization" in first["Vary"]
        again = member_a.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
        LicenceAgreement.objects.filter(pk=company_a.licence.pk).update(status="suspended")
        changed = member_a.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed["ETag"] != etag

    def test_list_queries_do_not_grow_with_the_page(
        self, staff_reader, company_a, django_assert_max_num_queries
    ):
        for _ in range(10):
            licence_in("expired", member=company_a.member)
        # token, last-used stamp, permissions (2), count, page
        with django_assert_max_num_queries(8):
            assert staff_reader.get(f"{API}/licences?limit=50").json()["count"] == 11


@pytest.mark.django_db
class TestMembershipEnds:
    def test_a_user_who_left_the_company_loses_the_api(self, company_a):
        viewer = UserFactory()
        Membership.objects.create(member=company_a.member, user=viewer, role=Role.VIEWER)
        client = bearer(make_token(viewer))
        assert client.get(f"{API}/licences/{company_a.licence.pk}").status_code == 200
        Membership.objects.filter(user=viewer).delete()
        assert is_problem(client.get(f"{API}/licences/{company_a.licence.pk}"), 401)
