"""The auditor area at any number of members: the list a page at a time and searched, with
queries that do not grow; the CSV export streamed, complete and correct."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import services, views_auditor
from compliance.models import AuditorGrant
from compliance.views_auditor import CSV_HEADER, MEMBERS_PER_PAGE
from tests.factories import MemberFactory, auditor, licence_in, member_with
from tests.helpers import login_with_mfa

MEMBERS = reverse("auditor:members")
CSV = reverse("auditor:members_csv")


def grant(staff, person, member=None):
    return services.auditor_grant_save(
        actor=staff,
        grant=AuditorGrant(
            auditor=person, member=member, expires_on=timezone.localdate() + timedelta(days=30)
        ),
    )


def members(count, start=0):
    made = []
    for number in range(start, start + count):
        member = MemberFactory(legal_name=f"Firm {number:03d}", country="AE")
        if number % 2 == 0:
            licence_in("active", member=member)
        made.append(member)
    return made


def csv_rows(response):
    assert response.streaming  # never built in memory
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def all_members_auditor(client, staff_user):
    person = auditor()
    grant(staff_user, person)  # a grant for every member
    login_with_mfa(client, person)
    return person


@pytest.mark.django_db
class TestMembersList:
    def test_a_page_at_a_time_with_links(self, client, all_members_auditor):
        members(60)
        first = client.get(MEMBERS).content.decode()
        assert "Firm 000" in first and "Firm 024" in first and "Firm 025" not in first
        assert 'rel="next" href="/auditor/?page=2"' in first
        last = client.get(MEMBERS, {"page": 3}).content.decode()
        assert "Firm 059" in last and "Firm 049" not in last and 'rel="next"' not in last
        assert client.get(MEMBERS, {"page": 4}).status_code == 404
        assert client.get(MEMBERS, {"page": "x"}).status_code == 404

    def test_search_by_name_registration_or_country(self, client, all_members_auditor):
        made = members(30)
        MemberFactory(legal_name="Antwerp Rough NV", country="BE")
        page = client.get(MEMBERS, {"q": "antwerp"}).content.decode()
        assert "Antwerp Rough NV" in page and "Firm 000" not in page
        page = client.get(MEMBERS, {"q": made[7].registration_number}).content.decode()
        assert "Firm 007" in page and "Firm 008" not in page
        page = client.get(MEMBERS, {"q": made[3].kp_registration}).content.decode()
        assert "Firm 003" in page and "Firm 004" not in page
        page = client.get(MEMBERS, {"q": "be"}).content.decode()
        assert "Antwerp Rough NV" in page and "Firm 001" not in page
        searched = client.get(MEMBERS, {"q": "firm"}).content.decode()
        assert 'href="/auditor/?q=firm&amp;page=2"' in searched

    def test_a_search_stays_within_the_grant(self, client, staff_user):
        mine, theirs = MemberFactory(legal_name="Mine Ltd"), MemberFactory(legal_name="Theirs Ltd")
        person = auditor()
        grant(staff_user, person, mine)
        login_with_mfa(client, person)
        page = client.get(MEMBERS, {"q": "ltd"}).content.decode()
        assert "Mine Ltd" in page and "Theirs Ltd" not in page
        rows = csv_rows(client.get(CSV))
        assert [row[0] for row in rows[1:]] == ["Mine Ltd"]
        assert theirs.pk

    def test_queries_do_not_grow_with_the_members(
        self, client, all_members_auditor, django_assert_num_queries
    ):
        members(5)
        client.get(MEMBERS)  # the session's first queries
        with django_assert_num_queries(11) as at_5:
            client.get(MEMBERS)
        members(55, start=5)
        with django_assert_num_queries(len(at_5.captured_queries)):
            body = client.get(MEMBERS).content.decode()
        assert body.count('href="/auditor/members/') == MEMBERS_PER_PAGE

    def test_others_find_nothing(self, client):
        members(3)
        _member, outsider = member_with()
        client.force_login(outsider)
        assert client.get(MEMBERS).status_code == 404
        assert client.get(CSV).status_code == 404
        client.logout()
        assert client.get(CSV).status_code in (302, 404)


@pytest.mark.django_db
class TestCsvExport:
    def test_every_member_once_with_its_history(self, client, all_members_auditor, monkeypatch):
        monkeypatch.setattr(views_auditor, "CSV_CHUNK", 7)  # several chunks of the stream
        made = members(30)
        response = client.get(CSV)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="alliance-members.csv"'
        rows = csv_rows(response)
        assert rows[0] == CSV_HEADER
        assert [row[0] for row in rows[1:]] == [member.legal_name for member in made]
        by_name = {row[0]: row for row in rows[1:]}
        for member in made:
            licence = member.licences.first()
            row = by_name[member.legal_name]
            assert row[1] == "AE"
            assert row[2:4] == ([licence.number, "active"] if licence else ["", ""])
            assert row[4:] == ["", "", "", ""]  # no review, no certificate

    def test_the_newest_licence_review_and_certificate(
        self, client, staff_user, all_members_auditor, django_capture_on_commit_callbacks
    ):
        from tests.compliance.test_certificates import accepted_cycle

        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        certificate = cycle.certificates.get()
        rows = csv_rows(client.get(CSV))
        row = next(row for row in rows if row[0] == cycle.member.legal_name)
        cycle.refresh_from_db()
        assert row[2:] == [
            cycle.licence.number,
            cycle.licence.status,
            cycle.decided_at.date().isoformat(),
            cycle.outcome,
            certificate.number,
            certificate.status,
        ]

    def test_queries_do_not_grow_with_the_members(
        self, client, all_members_auditor, django_assert_num_queries
    ):
        members(5)
        client.get(MEMBERS)
        with django_assert_num_queries(9) as at_5:
            assert len(csv_rows(client.get(CSV))) == 6
        members(55, start=5)
        with django_assert_num_queries(len(at_5.captured_queries)):
            assert len(csv_rows(client.get(CSV))) == 61

    def test_head_sends_no_rows(self, client, all_members_auditor):
        members(3)
        response = client.head(CSV)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b""
