"""The admin at 100,000 members: filters that list nothing or read indexes, searches that hit
indexes, and an audit log changelist that is never counted in full."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from alliance_portal.admin_filters import EstimatedCountPaginator, distinct_values
from alliance_portal.audit import audit_record
from alliance_portal.models import AuditEvent, Document, OutboxMessage
from alliance_portal.roles import AUDITORS_GROUP
from compliance.models import ComplianceCertificate
from licensing.models import LicenceAgreement
from members.models import Application, Member, User
from tests.factories import MemberFactory, UserFactory, licence_in, member_with
from tests.helpers import login_with_mfa

EVENTS = reverse("admin:alliance_portal_auditevent_changelist")
LICENCES = reverse("admin:licensing_licenceagreement_changelist")
AUTOCOMPLETE = reverse("admin:autocomplete")

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: set DATABASE_URL"
)


def record(actor, count, action="test.event"):
    for _n in range(count):
        audit_record(actor=actor, action=action, target=actor)


def shown_actors(response):
    return {event.actor_id for event in response.context["cl"].result_list}


@pytest.mark.django_db
class TestAuditEventFilters:
    def test_the_actor_filter_lists_no_user_and_filters_by_the_chosen_one(self, client, staff_user):
        people = [UserFactory(email=f"actor{n}@example.org") for n in range(12)]
        for person in people:
            record(person, 2)
        login_with_mfa(client, staff_user)
        page = client.get(EVENTS)
        html = page.content.decode()
        assert 'data-autocomplete-filter="1"' in html
        assert 'name="actor__id__exact"' in html
        assert "actor7@example.org</a>" not in html  # no link per user in the sidebar
        assert "js/admin-autocomplete-filter.js" in html
        chosen = client.get(EVENTS, {"actor__id__exact": people[3].pk})
        assert shown_actors(chosen) == {people[3].pk}
        assert chosen.context["cl"].result_count == 2
        # The chosen user is shown in the picker, selected.
        assert f'<option value="{people[3].pk}" selected>' in chosen.content.decode()

    @pytest.mark.parametrize("value", ["abc", "-1", "1.5", "١"])
    def test_a_bad_actor_is_refused_not_a_500(self, client, staff_user, value):
        login_with_mfa(client, staff_user)
        response = client.get(EVENTS, {"actor__id__exact": value})
        assert response.status_code in (302, 400)  # Django's "?e=1" redirect

    def test_action_and_type_filters_list_the_values_and_filter(self, client, staff_user):
        record(staff_user, 2, action="test.one")
        record(staff_user, 3, action="test.two")
        login_with_mfa(client, staff_user)
        html = client.get(EVENTS).content.decode()
        assert "?action__exact=test.one" in html and "?action__exact=test.two" in html
        assert "?target_type__exact=members.user" in html
        two = client.get(EVENTS, {"action__exact": "test.two"})
        assert two.context["cl"].result_count == 3
        assert {event.action for event in two.context["cl"].result_list} == {"test.two"}

    def test_distinct_values_are_sorted_and_skip_blanks(self):
        actor = UserFactory()
        for action in ["b.second", "a.first", "b.second", "c.third"]:
            audit_record(actor=actor, action=action)
        values = distinct_values(AuditEvent, "action")
        assert [v for v in values if v.startswith(("a.", "b.", "c."))] == [
            "a.first",
            "b.second",
            "c.third",
        ]
        assert "" not in distinct_values(AuditEvent, "target_type")

    def test_the_picker_searches_users_for_staff_who_may_see_them_only(self, client, staff_user):
        wanted = UserFactory(email="findme@example.org")
        record(wanted, 1)
        params = {
            "app_label": "alliance_portal",
            "model_name": "auditevent",
            "field_name": "actor",
            "term": "findme",
        }
        # A member user and a staff user without the permission to see users get nothing.
        _member, outsider = member_with()
        login_with_mfa(client, outsider)
        assert client.get(AUTOCOMPLETE, params).status_code in (302, 403)
        no_users = UserFactory(is_staff=True, groups=[AUDITORS_GROUP], mfa=True)
        login_with_mfa(client, no_users)
        assert client.get(AUTOCOMPLETE, params).status_code == 403
        login_with_mfa(client, staff_user)
        found = client.get(AUTOCOMPLETE, params).json()["results"]
        assert [result["id"] for result in found] == [str(wanted.pk)]

    def test_others_find_no_audit_log(self, client):
        _member, outsider = member_with()
        assert client.get(EVENTS).status_code == 302  # to the login
        client.force_login(outsider)
        assert client.get(EVENTS).status_code == 302

    def test_queries_do_not_grow_with_actors(
        self, client, staff_user, django_assert_max_num_queries
    ):
        record(UserFactory(), 2)
        login_with_mfa(client, staff_user)
        client.get(EVENTS)
        with django_assert_max_num_queries(20) as few:
            client.get(EVENTS)
        for _n in range(30):
            record(UserFactory(), 1, action=f"test.action{_n % 3}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(EVENTS)


@pytest.mark.django_db
class TestLicenceFilters:
    def test_the_member_filter_lists_no_member_and_filters_by_the_chosen_one(
        self, client, staff_user
    ):
        licences = [
            licence_in("active", member=MemberFactory(legal_name=f"Sidebar {n} Ltd"))
            for n in range(8)
        ]
        login_with_mfa(client, staff_user)
        html = client.get(LICENCES).content.decode()
        assert 'name="member__id__exact"' in html
        assert html.count("Sidebar 5 Ltd") == 1  # its row, not a filter link as well
        chosen = client.get(LICENCES, {"member__id__exact": licences[5].member_id})
        assert [row.pk for row in chosen.context["cl"].result_list] == [licences[5].pk]

    def test_the_country_filter_lists_the_members_countries(self, client, staff_user):
        licence_in("active", member=MemberFactory(country="AE"))
        antwerp = licence_in("active", member=MemberFactory(country="BE"))
        login_with_mfa(client, staff_user)
        html = client.get(LICENCES).content.decode()
        assert "?member_country=AE" in html and "United Arab Emirates" in html
        belgian = client.get(LICENCES, {"member_country": "BE"})
        assert [row.pk for row in belgian.context["cl"].result_list] == [antwerp.pk]


@pytest.mark.django_db
class TestEstimatedCount:
    def test_small_lists_and_other_databases_are_counted_exactly(self):
        record(UserFactory(), 5)
        paginator = EstimatedCountPaginator(AuditEvent.objects.all(), 100)
        assert paginator.count == AuditEvent.objects.count()

    @on_postgres
    def test_large_lists_are_estimated_on_postgresql(self, monkeypatch):
        actor = UserFactory()
        record(actor, 30)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE alliance_portal_auditevent")
        analysed = AuditEvent.objects.count()
        record(actor, 10)  # not analysed yet: the estimate does not see them
        monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 1)
        paginator = EstimatedCountPaginator(AuditEvent.objects.all(), 100)
        assert paginator.count == analysed != AuditEvent.objects.count()
        filtered = EstimatedCountPaginator(AuditEvent.objects.filter(actor=actor), 100)
        assert filtered.count == EstimatedCountPaginator.estimate(
            AuditEvent.objects.filter(actor=actor)
        )
        assert filtered.count >= 1
        monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 10**9)
        assert EstimatedCountPaginator(AuditEvent.objects.all(), 100).count == analysed + 10

    @on_postgres
    def test_the_changelist_uses_it(self, client, staff_user, monkeypatch):
        record(staff_user, 3)
        monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 1)
        login_with_mfa(client, staff_user)
        response = client.get(EVENTS)
        assert isinstance(response.context["cl"].paginator, EstimatedCountPaginator)


def admin_search(model, term):
    request = RequestFactory().get("/")
    request.user = User(is_staff=True, is_superuser=True)
    records, _duplicates = site._registry[model].get_search_results(
        request, model._default_manager.all(), term
    )
    return records


def plan(records, *, ordered=False):
    """The plan when the table cannot be read whole (the tables here are tiny, so the planner
    would read them whole): an index on the searched expressions must answer."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not ordered:  # nor walked along the ordering's index, filtering every row
            cursor.execute("SET LOCAL enable_indexscan = off")
    return records.explain()


@pytest.mark.django_db
class TestSearchIndexes:
    @on_postgres
    @pytest.mark.parametrize(
        ("model", "term", "indexes"),
        [
            (User, "example", ["user_email_trgm", "user_full_name_trgm"]),
            (
                AuditEvent,
                "person",
                [
                    "user_email_trgm",
                    "audit_actor_id_idx",
                    "audit_actor_label_prefix",
                    "audit_target_label_trgm",
                    "audit_target_id_idx",
                    "audit_action_id_idx",
                ],
            ),
            (
                OutboxMessage,
                "example",
                ["outbox_recipient_trgm", "outbox_subject_trgm", "outbox_target_label_trgm"],
            ),
        ],
    )
    def test_admin_searches_of_one_table_read_only_indexes(self, model, term, indexes):
        """Every field searched has an index, so the search is a union of index reads."""
        found = plan(admin_search(model, term))
        for index in indexes:
            assert index in found

    def test_the_audit_log_finds_an_actor_by_account_or_by_the_address_recorded(self):
        actor = UserFactory(email="olga.petrova@arctic-stones.example")
        other = UserFactory(email="someone@else.example")
        audit_record(actor=actor, action="test.before")
        audit_record(actor=other, action="test.other")
        actor.email = "olga@new-address.example"
        actor.save(update_fields=["email"])
        audit_record(actor=actor, action="test.after")

        def actions(term):
            return {event.action for event in admin_search(AuditEvent, term)}

        # Any part of the account's e-mail: every event of the account.
        assert actions("new-address") == {"test.before", "test.after"}
        # The address as recorded, from its start (the beginning of an old address).
        assert actions("olga.petrova@arctic") == {"test.before"}
        assert actions("OLGA.PETROVA@ARCTIC-STONES.EXAMPLE") == {"test.before"}
        assert actions("someone") == {"test.other"}

    @on_postgres
    def test_a_search_across_a_join_reads_each_tables_index(self):
        """A certificate found by its number or its member's name: with the two OR-ed in one
        WHERE, PostgreSQL joined both tables whole (430 ms at 100,000 members)."""
        records = admin_search(ComplianceCertificate, "antwerp")
        # The member is joined only inside the member's name's own query.
        assert 'INNER JOIN "members_member" ON ("compliance_compliancecertificate"' not in str(
            records.query
        )
        found = plan(records)
        assert "certificate_number_trgm" in found
        assert "Seq Scan" not in found and "Hash Join" not in found

    def test_every_word_of_a_search_matches_some_field(self):
        antwerp = licence_in("active", member=MemberFactory(legal_name="Antwerp Facet NV"))
        licence_in("active", member=MemberFactory(legal_name="Dubai Facet FZE"))
        found = admin_search(LicenceAgreement, "facet antwerp")
        assert list(found) == [antwerp]
        assert list(admin_search(LicenceAgreement, antwerp.number)) == [antwerp]
        assert list(admin_search(LicenceAgreement, '"Facet NV"')) == [antwerp]
        assert not admin_search(LicenceAgreement, "facet ramat").exists()

    @on_postgres
    def test_the_member_search_reads_one_index_of_its_name_and_numbers(self):
        """Four OR-ed indexes made the planner scan the table to count a search's results."""
        found = plan(admin_search(Member, "antwerp"))
        assert "member_search_trgm" in found and "BitmapOr" not in found

    def test_the_member_search_finds_the_name_and_each_number(self):
        member = MemberFactory(
            legal_name="Antwerp Facet NV",
            registration_number="BE-0412.345",
            kp_registration="KP-BE-9917",
            contract_reference="LTC-2026-77",
        )
        MemberFactory(legal_name="Other Stones Ltd")
        for term in ("antwerp facet", "0412", "kp-be-9917", "ltc-2026", "FACET 0412"):
            assert list(admin_search(Member, term)) == [member], term

    @on_postgres
    @pytest.mark.parametrize(
        ("model", "field", "term", "index"),
        [
            (LicenceAgreement, "number", "AA-2026", "licence_number_trgm"),
            (ComplianceCertificate, "number", "AC-2026", "certificate_number_trgm"),
            (Document, "original_name", "policy", "document_name_trgm"),
            (Application, "legal_name", "antwerp", "application_legal_name_trgm"),
        ],
    )
    def test_searched_numbers_and_names_have_trigram_indexes(self, model, field, term, index):
        assert index in plan(model.objects.filter(**{f"{field}__icontains": term}))

    @on_postgres
    def test_verify_by_file_hits_the_digest_index(self):
        from compliance.selectors import certificate_by_sha256

        records = Document.objects.filter(sha256="0" * 64)
        assert "document_sha256_idx" in plan(records)
        assert certificate_by_sha256("0" * 64) is None

    @on_postgres
    def test_the_filtered_audit_log_reads_its_index_in_order(self):
        records = AuditEvent.objects.filter(action="licence.suspend").order_by("-id")[:100]
        assert "audit_action_id_idx" in plan(records, ordered=True)

    def test_the_migration_built_what_the_database_can_hold(self):
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "members_member")
        assert "member_name_idx" in indexes  # everywhere
        # A GIN trigram index on PostgreSQL, a plain index of the same expression on SQLite.
        assert "member_legal_name_trgm" in indexes
        with connection.cursor() as cursor:
            documents = connection.introspection.get_constraints(cursor, "alliance_portal_document")
        assert documents["document_sha256_idx"]["columns"] == ["sha256"]


@pytest.mark.django_db
def test_staff_lists_show_fifty_rows_a_page(client, staff_user):
    """A changelist renders 50 rows a page, not Django's 100: rendering the rows is most of a
    list's time at scale; the next page and the search find the rest."""
    record(staff_user, 51, action="test.paged")
    login_with_mfa(client, staff_user)
    first = client.get(EVENTS, {"action__exact": "test.paged"})
    second = client.get(EVENTS, {"action__exact": "test.paged", "p": 2})
    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 1
    # Every staff list over a table that grows with the membership is paged the same way.
    paged = {
        model._meta.label
        for model, model_admin in site._registry.items()
        if model_admin.list_per_page == 50
    }
    assert {
        "alliance_portal.AuditEvent",
        "licensing.LicenceAgreement",
        "members.Member",
        "members.User",
        "compliance.ComplianceCertificate",
        "compliance.ReviewCycle",
    } <= paged


@pytest.mark.django_db
def test_the_document_list_offers_the_allowed_extensions_without_reading_the_table(
    client, staff_user
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from alliance_portal.documents import document_store
    from tests.files import pdf_bytes

    document_store(actor=staff_user, uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    login_with_mfa(client, staff_user)
    documents = reverse("admin:alliance_portal_document_changelist")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = client.get(documents)
    assert not [q for q in queries if "DISTINCT" in q["sql"]]
    html = page.content.decode()
    for extension in ("docx", "jpg", "pdf", "png", "xlsx"):
        assert f"?extension__exact={extension}" in html
    assert len(client.get(documents, {"extension__exact": "pdf"}).context["cl"].result_list) == 1
    assert not client.get(documents, {"extension__exact": "png"}).context["cl"].result_list
