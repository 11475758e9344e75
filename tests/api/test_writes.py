"""Writes go through the admin's services (state changed, their audit event written, and one
naming the token); a read token, a member token or staff without the permission cannot write."""

import datetime

import pytest
from django.utils import timezone

from alliance_portal.models import AuditEvent
from api.models import ApiToken
from compliance.models import Finding, ReviewCycle
from members.models import Member
from tests.api.conftest import bearer, make_token
from tests.api.test_records import is_problem

API = "/api/v1"


def in_a_week() -> str:
    return (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


@pytest.mark.django_db
class TestRiskRating:
    def test_read_token_403_then_write_token_changes_it(self, staff_reader, staff, company_a):
        url = f"{API}/members/{company_a.member.pk}/risk-rating"
        refused = staff_reader.put(url, {"risk_rating": "high"}, content_type="application/json")
        assert is_problem(refused, 403)
        assert Member.objects.get(pk=company_a.member.pk).risk_rating == "medium"
        response = staff.put(url, {"risk_rating": "high"}, content_type="application/json")
        assert response.status_code == 200 and response.json()["risk_rating"] == "high"
        assert Member.objects.get(pk=company_a.member.pk).risk_rating == "high"
        service_event, token_event = AuditEvent.objects.order_by("-id")[:2][::-1]
        assert service_event.action == "member.risk_rating_changed"
        assert service_event.payload == {"from": "medium", "to": "high"}
        assert token_event.action == "api_token.used"
        assert token_event.target_id == str(ApiToken.objects.get(scope="write").pk)
        assert token_event.payload["operation"] == "set_member_risk_rating"

    def test_member_write_token_is_403(self, company_a):
        client = bearer(make_token(company_a.signatory, "write"))
        response = client.put(
            f"{API}/members/{company_a.member.pk}/risk-rating",
            {"risk_rating": "high"},
            content_type="application/json",
        )
        assert is_problem(response, 403)
        assert Member.objects.get(pk=company_a.member.pk).risk_rating == "medium"

    def test_staff_without_permission_is_403(self, bare_staff, company_a):
        response = bare_staff.put(
            f"{API}/members/{company_a.member.pk}/risk-rating",
            {"risk_rating": "low"},
            content_type="application/json",
        )
        assert is_problem(response, 403)

    def test_invalid_rating_is_422(self, staff, company_a):
        response = staff.put(
            f"{API}/members/{company_a.member.pk}/risk-rating",
            {"risk_rating": "extreme"},
            content_type="application/json",
        )
        assert is_problem(response, 422)


@pytest.mark.django_db
class TestOpenCycle:
    def test_opens_an_ad_hoc_cycle_through_the_service(self, staff_reader, staff, company_a):
        body = {"member_id": company_a.member.pk, "due_on": in_a_week()}
        assert is_problem(
            staff_reader.post(f"{API}/cycles", body, content_type="application/json"), 403
        )
        response = staff.post(f"{API}/cycles", body, content_type="application/json")
        assert response.status_code == 201
        cycle = ReviewCycle.objects.get(pk=response.json()["id"])
        assert cycle.kind == "ad_hoc" and cycle.status == "open" and cycle.answers.exists()
        assert AuditEvent.objects.filter(action="cycle.opened", target_id=str(cycle.pk)).exists()
        again = staff.post(f"{API}/cycles", body, content_type="application/json")
        assert is_problem(again, 422)
        assert "under way" in again.json()["detail"]
        assert ReviewCycle.objects.filter(member=company_a.member).count() == 2

    def test_unknown_member_and_past_due_date_are_422(self, staff, company_a):
        missing = staff.post(
            f"{API}/cycles", {"member_id": 987654}, content_type="application/json"
        )
        assert is_problem(missing, 422)
        past = staff.post(
            f"{API}/cycles",
            {"member_id": company_a.member.pk, "due_on": "2000-01-01"},
            content_type="application/json",
        )
        assert is_problem(past, 422)
        assert not ReviewCycle.objects.filter(kind="ad_hoc").exists()


@pytest.mark.django_db
class TestRaiseFinding:
    def body(self, company, **extra):
        return {
            "cycle_id": company.cycle.pk,
            "severity": "major",
            "description": "No KP certificates on file.",
            "corrective_action": "Keep KP certificates for every parcel.",
            "due_on": in_a_week(),
            **extra,
        }

    def test_raises_through_the_service(self, staff_reader, staff, company_a):
        body = self.body(company_a, criterion="1.1")
        assert is_problem(
            staff_reader.post(f"{API}/findings", body, content_type="application/json"), 403
        )
        response = staff.post(f"{API}/findings", body, content_type="application/json")
        assert response.status_code == 201, response.content
        finding = Finding.objects.get(pk=response.json()["id"])
        assert finding.severity == "major" and finding.criterion.code == "1.1"
        assert response.json()["criterion"] == "1.1"
        assert AuditEvent.objects.filter(
            action="finding.raised", target_id=str(finding.pk)
        ).exists()

    @pytest.mark.parametrize(
        "extra",
        [
            {"criterion": "9.9.9"},
            {"description": "   "},
            {"description": "x" * 5001},
            {"description": "nul \x00 byte"},
            {"severity": "apocalyptic"},
            {"due_on": "2000-01-01"},
            {"cycle_id": 99999999},
        ],
    )
    def test_bad_input_is_422_and_nothing_is_saved(self, staff, company_a, extra):
        response = staff.post(
            f"{API}/findings", self.body(company_a, **extra), content_type="application/json"
        )
        assert is_problem(response, 422)
        assert not Finding.objects.exists()
