"""The public register a page at a time: stable pages with links, a paged JSON format, queries
that do not grow with the number of members, and a cache that the services changing what it
shows invalidate."""

import pytest
from django.test import Client
from django.urls import reverse

from alliance_portal.cache_versions import PUBLIC_REGISTER, namespace_bump_now
from licensing import services
from licensing.agreement import agreement_text, sha256_text
from licensing.models import LicenceAgreement
from licensing.register import PAGE_SIZE
from licensing.signing import consents
from members.models import Member
from members.services import member_update
from tests.factories import MemberFactory, licence_in, signatory_of

PAGE = reverse("public:register")
JSON = reverse("public:register_json")
API = "/api/v1/register"


def listed(name, **fields):
    return licence_in(
        "active", member=MemberFactory(legal_name=name, public_listing_consent=True, **fields)
    )


def many(count, start=0):
    for number in range(start, start + count):
        listed(f"Member {number:03d}")
    namespace_bump_now(PUBLIC_REGISTER)  # factories skip the services that bump it


def names(body):
    return [row["member"] for row in body["results"]]


@pytest.mark.django_db
class TestPages:
    def test_every_member_once_in_a_stable_order_page_by_page(self, client):
        many(60)
        seen, url, pages = [], JSON, 0
        while url:
            body = client.get(url).json()
            assert body["count"] == 60 and body["pages"] == 3
            assert len(body["results"]) <= PAGE_SIZE
            assert body["members"] == body["results"]  # the earlier format's key
            seen += names(body)
            url, pages = body["next"], pages + 1
        assert pages == 3
        assert seen == [f"Member {n:03d}" for n in range(60)]

    def test_json_links_are_absolute_and_keep_the_search(self, client):
        many(30)
        first = client.get(JSON, {"q": "member"}).json()
        assert first["page"] == 1 and first["previous"] is None
        assert first["next"] == "http://testserver/register.json?q=member&page=2"
        second = client.get(first["next"]).json()
        assert second["next"] is None
        assert second["previous"] == "http://testserver/register.json?q=member"
        assert names(second) == [f"Member {n:03d}" for n in range(25, 30)]

    def test_the_page_links_its_neighbours_for_crawlers(self, client):
        many(60)
        html = client.get(PAGE, {"page": 2}).content.decode()
        assert 'rel="prev" href="/register/"' in html
        assert 'rel="next" href="/register/?page=3"' in html
        assert "Member 025" in html and "Member 049" in html
        assert "Member 024" not in html and "Member 050" not in html
        last = client.get(PAGE, {"page": 3}).content.decode()
        assert 'rel="next"' not in last and "Member 059" in last

    @pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "²", "9" * 30])
    def test_a_page_that_does_not_exist_is_404(self, client, page):
        many(60)
        assert client.get(PAGE, {"page": page}).status_code == 404
        assert client.get(JSON, {"page": page}).status_code == 404

    def test_an_empty_register_has_one_empty_page(self, client):
        body = client.get(JSON).json()
        assert body["count"] == 0 and body["pages"] == 1 and body["results"] == []
        assert client.get(PAGE).status_code == 200

    def test_search_by_name_code_or_country_name(self, client):
        listed("Antwerp Rough NV", country="BE")
        listed("Dubai Polished", country="AE")
        assert names(client.get(JSON, {"q": "antwerp"}).json()) == ["Antwerp Rough NV"]
        assert names(client.get(JSON, {"q": "ae"}).json()) == ["Dubai Polished"]
        assert names(client.get(JSON, {"q": "Emirates"}).json()) == ["Dubai Polished"]
        assert names(client.get(JSON, {"q": "belg"}).json()) == ["Antwerp Rough NV"]
        russian = client.get(JSON, {"q": "Бельгия"}, HTTP_ACCEPT_LANGUAGE="ru").json()
        assert names(russian) == ["Antwerp Rough NV"]

    def test_country_names_follow_the_readers_language(self, client):
        listed("Antwerp Rough NV", country="BE")
        english = client.get(JSON, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
        russian = client.get(JSON, HTTP_ACCEPT_LANGUAGE="ru").json()["results"][0]
        assert english["country_name"] == "Belgium"
        assert russian["country_name"] == "Бельгия"
        assert russian["country"] == english["country"] == "BE"

    @pytest.mark.parametrize("url", [PAGE, JSON, API])
    def test_queries_do_not_grow_with_the_members(self, url, django_assert_num_queries):
        many(5)
        with django_assert_num_queries(2):  # the count and one page
            assert Client().get(url).status_code == 200
        many(55, start=5)
        with django_assert_num_queries(2):
            response = Client().get(url)
        assert response.status_code == 200
        with django_assert_num_queries(0):  # cached
            again = Client().get(url)
        assert again.status_code == 200 and b"Member 024" in again.content

    def test_the_body_does_not_grow_with_the_members(self, client):
        many(30)
        at_30 = len(client.get(PAGE).content)
        many(90, start=30)
        assert abs(len(client.get(PAGE).content) - at_30) < 100  # the count's digits


@pytest.mark.django_db
class TestApi:
    def test_limit_and_offset_with_links(self):
        many(12)
        body = Client().get(API, {"limit": 5, "offset": 5}).json()
        assert body["count"] == 12
        assert names(body) == [f"Member {n:03d}" for n in range(5, 10)]
        assert body["members"] == body["results"]
        assert body["next"].endswith("offset=10") and "limit=5" in body["next"]
        assert body["previous"].endswith("offset=0")
        assert Client().get(body["next"]).json()["next"] is None

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}])
    def test_bad_paging_is_a_422(self, params):
        assert Client().get(API, params).status_code == 422


def shows(client, name):
    return name in names(client.get(JSON).json())


@pytest.mark.django_db
class TestInvalidation:
    """Each service that changes what the register shows makes the cached page change; the
    same change made behind the services' back is not seen (the page is really cached)."""

    def test_the_page_is_cached(self, client):
        licence = listed("Cached Ltd")
        assert shows(client, "Cached Ltd")
        LicenceAgreement.objects.filter(pk=licence.pk).update(status="suspended")
        assert shows(client, "Cached Ltd")
        namespace_bump_now(PUBLIC_REGISTER)
        assert not shows(client, "Cached Ltd")

    @pytest.mark.parametrize("action", ["suspend", "forfeit", "terminate"])
    def test_a_licence_leaving_good_standing(self, client, staff_user, action):
        licence = listed("Leaving Ltd")
        assert shows(client, "Leaving Ltd")
        getattr(services, f"licence_{action}")(
            actor=staff_user, licence=licence, reason="Per the decision."
        )
        assert not shows(client, "Leaving Ltd")

    def test_a_reinstatement(self, client, staff_user):
        licence = licence_in(
            "suspended", member=MemberFactory(legal_name="Back Ltd", public_listing_consent=True)
        )
        assert not shows(client, "Back Ltd")
        services.licence_reinstate(actor=staff_user, licence=licence, reason="Remedied.")
        assert shows(client, "Back Ltd")

    def test_a_signature(self, client, django_capture_on_commit_callbacks):
        licence = licence_in("issued")
        Member.objects.filter(pk=licence.member_id).update(
            legal_name="New Ltd", public_listing_consent=True
        )
        licence = LicenceAgreement.objects.get(pk=licence.pk)
        assert not shows(client, "New Ltd")
        with django_capture_on_commit_callbacks(execute=True):
            services.licence_sign(
                actor=signatory_of(licence.member),
                licence=licence,
                typed_name="Ivan Petrov",
                typed_title="Director",
                accepted=[key for key, _text in consents()],
                shown_sha256=sha256_text(agreement_text(licence)),
            )
        assert shows(client, "New Ltd")

    @pytest.mark.parametrize(
        ("changes", "listed_after"),
        [
            ({"legal_name": "Renamed Ltd"}, "Renamed Ltd"),
            ({"public_listing_consent": False}, None),
        ],
    )
    def test_a_member_change(self, client, staff_user, changes, listed_after):
        member = listed("Before Ltd").member
        assert shows(client, "Before Ltd")
        member_update(actor=staff_user, member=member, changes=changes)
        body = client.get(JSON).json()
        assert names(body) == ([listed_after] if listed_after else [])

    def test_a_country_change(self, client, staff_user):
        member = listed("Moving Ltd", country="BE").member
        assert client.get(JSON).json()["results"][0]["country"] == "BE"
        member_update(actor=staff_user, member=member, changes={"country": "AE"})
        row = client.get(JSON).json()["results"][0]
        assert (row["country"], row["country_name"]) == ("AE", "United Arab Emirates")

    def test_a_change_the_register_does_not_show_keeps_the_cache(self, client, staff_user):
        member = listed("Steady Ltd").member
        assert shows(client, "Steady Ltd")
        Member.objects.filter(pk=member.pk).update(legal_name="Changed Behind Ltd")
        member_update(actor=staff_user, member=member, changes={"website": "https://a.example"})
        assert shows(client, "Steady Ltd")
