"""The register and certificate verification need no token and say what the public pages say."""

import pytest
from django.test import Client

from members.models import Member
from tests.api.test_records import is_problem

API = "/api/v1"


@pytest.mark.django_db
class TestPublic:
    def test_register_lists_consenting_members_in_good_standing(self, company_a, company_b):
        Member.objects.filter(pk=company_a.member.pk).update(public_listing_consent=True)
        body = Client().get(f"{API}/register").json()
        assert body["count"] == 1
        assert body["members"][0]["member"] == company_a.member.legal_name
        assert body["members"][0]["licence_number"] == company_a.licence.number
        legacy = Client().get("/register.json").json()
        assert [m["member"] for m in legacy["members"]] == [m["member"] for m in body["members"]]
        assert Client().get(f"{API}/register", {"q": "no such company"}).json()["count"] == 0

    def test_verify_by_code(self, company_a):
        code = company_a.certificate.verification_code
        body = Client().get(f"{API}/verify/{code}").json()
        assert body["found"] and body["number"] == company_a.certificate.number
        assert body["status"] == "expired" and body["valid"] is False
        assert is_problem(Client().get(f"{API}/verify/nosuchcode"), 404)
        assert is_problem(Client().get(f"{API}/verify/bad%20code!"), 422)
