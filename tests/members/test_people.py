"""Beneficial owners and key people: the application's section, the member's page with its
history and staff review, submission and approval, scoping and validation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, OutboxMessage
from alliance_portal.states import IllegalTransition
from members import services
from members.models import (
    Application,
    ApplicationStatus,
    KeyPerson,
    Membership,
    PersonReview,
    Role,
)
from tests.factories import (
    CHECKLIST_DONE,
    UserFactory,
    auditor,
    complete_application,
    key_person,
    member_with,
)
from tests.files import pdf_bytes
from tests.helpers import login_with_mfa

S = ApplicationStatus
OWNER = {
    "role": "owner",
    "name": "Иван Петрович Сидоров",
    "name_latin": "Ivan Petrovich Sidorov",
    "date_of_birth": "1971-03-14",
    "nationality": "RU",
    "country_of_residence": "AE",
    "ownership_percent": "51",
    "control": "",
}


def _draft(applicant=None):
    """A complete draft without its people (the factory's are ended)."""
    application = complete_application(applicant=applicant)
    application.people.update(ended_at=timezone.now())
    return application


def _current(application_or_member):
    return list(application_or_member.people.filter(ended_at__isnull=True))


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestValidation:
    BAD = [
        ({"ownership_percent": "120"}, "ownership_percent", "between 0 and 100"),
        ({"ownership_percent": "-1"}, "ownership_percent", "between 0 and 100"),
        ({"ownership_percent": "10"}, "ownership_percent", "25 % or more"),
        ({"ownership_percent": ""}, "ownership_percent", "25 % or more"),
        ({"name_latin": ""}, "name_latin", "not in Latin letters"),
        ({"name_latin": "Иван Сидоров"}, "name_latin", "Latin letters only"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"date_of_birth": "14.03.1971x"}, "date_of_birth", "valid date"),
        ({"role": "king"}, "role", "valid choice"),
        ({"nationality": "XX"}, "nationality", "valid choice"),
        ({"name": ""}, "name", "required"),
    ]

    @pytest.mark.parametrize(("change", "field", "message"), BAD)
    def test_bad_input_is_a_form_error_and_nothing_is_saved(self, client, change, field, message):
        application = _draft()
        client.force_login(application.applicant)
        before = KeyPerson.objects.count(), AuditEvent.objects.count()
        url = reverse("portal:application_person_add", args=[application.pk])
        response = client.post(url, {**OWNER, **change})
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page, page[:2000]
        assert f'id="{field}-errors"><div class="text-danger small field-error">' in page
        assert (KeyPerson.objects.count(), AuditEvent.objects.count()) == before

    def test_the_rules_hold_in_the_service_too(self):
        application = _draft()
        for change, field, _message in self.BAD[:7]:
            data = {k: v for k, v in {**OWNER, **change}.items() if v != ""}
            with pytest.raises(ValidationError) as refused:
                services.key_person_add(
                    actor=application.applicant, application=application, data=data
                )
            assert field in refused.value.message_dict
        assert _current(application) == []

    def test_control_instead_of_a_share_and_latin_names_need_no_transliteration(self):
        application = _draft()
        person = services.key_person_add(
            actor=application.applicant,
            application=application,
            data={"role": "owner", "name": "Zoë Ångström", "control": "Golden share (veto)"},
        )
        assert person.name_latin == "" and person.ownership_percent is None
        # A director needs neither a share nor control.
        services.key_person_add(
            actor=application.applicant,
            application=application,
            data={"role": "director", "name": "Jean Dupont"},
        )
        assert len(_current(application)) == 2


# --- The application ------------------------------------------------------------------------


@pytest.mark.django_db
class TestApplication:
    def test_submission_needs_an_owner_or_a_reason_and_a_director_or_signatory(self):
        application = _draft()
        applicant = application.applicant
        with pytest.raises(ValidationError) as refused:
            services.application_submit(actor=applicant, application=application)
        messages = " ".join(refused.value.messages)
        assert "Name the beneficial owners" in messages
        assert "Name at least one director or authorised signatory." in messages
        application.refresh_from_db()
        assert application.status == S.DRAFT

        services.key_person_add(
            actor=applicant, application=application, data={"role": "signatory", "name": "A B"}
        )
        with pytest.raises(ValidationError) as refused:
            services.application_submit(actor=applicant, application=application)
        assert "Name the beneficial owners" in " ".join(refused.value.messages)

        # A reasoned "none above 25 %" is enough.
        services.application_update(
            actor=applicant,
            application=application,
            data={"no_owner_reason": "Listed on a stock exchange; no holder above 5 %."},
        )
        services.application_submit(actor=applicant, application=application)
        application.refresh_from_db()
        assert application.status == S.SUBMITTED

    def test_a_removed_owner_does_not_count(self):
        application = _draft()
        applicant = application.applicant
        owner = services.key_person_add(actor=applicant, application=application, data=OWNER)
        services.key_person_add(
            actor=applicant, application=application, data={"role": "director", "name": "A B"}
        )
        services.key_person_remove(actor=applicant, person=owner)
        with pytest.raises(ValidationError, match="beneficial owners"):
            services.application_submit(actor=applicant, application=application)

    def test_change_keeps_history_and_everything_is_audited(self):
        application = _draft()
        applicant = application.applicant
        owner = services.key_person_add(actor=applicant, application=application, data=OWNER)
        changed = services.key_person_change(
            actor=applicant, person=owner, data={"ownership_percent": 60}
        )
        owner.refresh_from_db()
        assert owner.ended_at is not None
        assert changed.replaces == owner and changed.ended_at is None
        assert changed.name == OWNER["name"] and changed.ownership_percent == 60
        # Nothing new is no new version.
        same = services.key_person_change(
            actor=applicant, person=changed, data={"ownership_percent": 60}
        )
        assert same.pk == changed.pk
        removed = services.key_person_remove(actor=applicant, person=changed)
        assert removed.ended_at is not None
        assert _current(application) == []
        assert KeyPerson.objects.filter(application=application).count() == 4  # 2 factory + 2
        actions = list(
            AuditEvent.objects.filter(target_type="members.keyperson")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["key_person.added", "key_person.changed", "key_person.removed"]
        changed_event = AuditEvent.objects.get(action="key_person.changed")
        assert changed_event.payload["fields"] == ["ownership_percent"]
        assert changed_event.payload["replaces"] == owner.pk
        # The applicant's changes are not a staff review item, and send nothing.
        assert not OutboxMessage.objects.filter(template="key_people_changed").exists()
        # An ended row cannot be changed again.
        with pytest.raises(IllegalTransition):
            services.key_person_change(actor=applicant, person=owner, data={"name": "X"})

    def test_only_the_applicant_and_only_while_editable(self):
        application = _draft()
        stranger = UserFactory()
        with pytest.raises(PermissionDenied):
            services.key_person_add(actor=stranger, application=application, data=OWNER)
        Application.objects.filter(pk=application.pk).update(status=S.SUBMITTED)
        application.refresh_from_db()
        with pytest.raises(IllegalTransition):
            services.key_person_add(
                actor=application.applicant, application=application, data=OWNER
            )
        assert _current(application) == []

    def test_approval_copies_people_names_and_reason_to_the_member_accepted(self, staff_user):
        application = complete_application(
            status=S.UNDER_REVIEW,
            former_names="Old Rough Ltd",
            no_owner_reason="",
            **CHECKLIST_DONE,
        )
        ended = application.people.get(role="director")
        KeyPerson.objects.filter(pk=ended.pk).update(ended_at=timezone.now())
        member = services.application_approve(
            actor=staff_user, application=application, risk_rating="low"
        )
        people = _current(member)
        assert [(p.role, p.name) for p in people] == [("owner", "Jan Peeters")]
        (owner,) = people
        assert owner.review_status == PersonReview.ACCEPTED
        assert owner.reviewed_by == staff_user and owner.reviewed_at is not None
        assert owner.application_id is None and owner.date_of_birth.isoformat() == "1970-05-01"
        assert member.former_names == "Old Rough Ltd"
        approved = AuditEvent.objects.get(action="application.approved")
        assert approved.payload["people"] == 1
        # The application keeps its own rows.
        assert application.people.count() == 2

    def test_portal_pages_add_change_remove_and_download(self, client):
        application = _draft()
        client.force_login(application.applicant)
        detail = reverse("portal:application_detail", args=[application.pk])
        assert "No owners or key people recorded." in client.get(detail).content.decode()
        add = reverse("portal:application_person_add", args=[application.pk])
        assert client.get(add).status_code == 200
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("register-extract.pdf", pdf_bytes(), "application/pdf")
        response = client.post(add, {**OWNER, "document_file": upload})
        assert response.status_code == 302, response.content.decode()[:2000]
        person = KeyPerson.objects.get(application=application, ended_at__isnull=True)
        assert person.document is not None
        page = client.get(detail).content.decode()
        assert "Ivan Petrovich Sidorov" in page
        download = reverse("portal:application_person_document", args=[application.pk, person.pk])
        assert client.get(download).status_code == 200

        edit = reverse("portal:application_person_edit", args=[application.pk, person.pk])
        assert client.get(edit).status_code == 200
        assert client.post(edit, {**OWNER, "ownership_percent": "75"}).status_code == 302
        new = KeyPerson.objects.get(application=application, ended_at__isnull=True)
        assert new.replaces_id == person.pk and new.document_id == person.document_id
        # The old version is not editable any more.
        assert client.get(edit).status_code == 404

        remove = reverse("portal:application_person_remove", args=[application.pk, new.pk])
        assert client.get(remove).status_code == 200
        assert client.post(remove).status_code == 400  # the confirm step was skipped
        assert client.post(remove, {"confirm": "yes"}).status_code == 302
        assert _current(application) == []


# --- The member's page and staff review --------------------------------------------------------


@pytest.fixture
def company():
    member, signatory = member_with(Role.SIGNATORY)
    officer, viewer = UserFactory(), UserFactory()
    Membership.objects.create(member=member, user=officer, role=Role.COMPLIANCE_OFFICER)
    Membership.objects.create(member=member, user=viewer, role=Role.VIEWER)
    owner = key_person(
        member=member,
        review_status=PersonReview.ACCEPTED,
        created_at=timezone.now() - timedelta(days=30),
    )
    return {
        "member": member,
        "signatory": signatory,
        "officer": officer,
        "viewer": viewer,
        "owner": owner,
    }


@pytest.mark.django_db
class TestMember:
    def test_officer_adds_a_person_staff_are_told_and_it_waits_for_review(
        self, client, company, staff_user
    ):
        member = company["member"]
        client.force_login(company["officer"])
        url = reverse("portal:person_add", args=[member.pk])
        response = client.post(url, OWNER)
        assert response.status_code == 302
        person = KeyPerson.objects.get(member=member, name=OWNER["name"])
        assert person.review_status == PersonReview.PENDING
        assert person.created_by == company["officer"]
        message = OutboxMessage.objects.get(template="key_people_changed")
        assert message.recipient == staff_user.email
        assert message.member_ref == member.pk
        assert OWNER["name"] in message.body_text
        assert reverse("admin:members_keyperson_change", args=[person.pk]) in message.body_text
        page = client.get(reverse("portal:people")).content.decode()
        assert "Waiting for review" in page and OWNER["name"] in page

    def test_staff_read_the_message_in_their_language(self, company):
        russian = UserFactory(staff=True, language="ru")
        person = services.key_person_add(
            actor=company["officer"], member=company["member"], data=OWNER
        )
        services.key_person_remove(actor=company["officer"], person=person)
        messages = list(
            OutboxMessage.objects.filter(
                template="key_people_changed", recipient=russian.email
            ).order_by("pk")
        )
        assert len(messages) == 2
        added, removed = messages
        assert "добавила ключевое лицо" in added.body_text
        assert "Бенефициарный владелец" in added.body_text
        assert "исключила ключевое лицо" in removed.body_text
        assert added.subject.endswith(f"Изменение ключевых лиц: {company['member'].legal_name}")

    def test_an_infected_document_is_quarantined_and_nothing_else_is_kept(
        self, client, company, settings
    ):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from alliance_portal.models import Document
        from tests.files import EICAR

        settings.ALLIANCE_ANTIVIRUS_BACKEND = "tests.fakes.EicarScanner"
        client.force_login(company["officer"])
        url = reverse("portal:person_add", args=[company["member"].pk])
        upload = SimpleUploadedFile("passport.pdf", pdf_bytes() + EICAR, "application/pdf")
        response = client.post(url, {**OWNER, "document_file": upload})
        assert response.status_code == 400
        assert "found to contain malware" in response.content.decode()
        assert Document.objects.get().quarantined
        assert AuditEvent.objects.filter(action="document.quarantined").count() == 1
        assert not KeyPerson.objects.filter(name=OWNER["name"]).exists()
        assert not OutboxMessage.objects.filter(template="key_people_changed").exists()

    def test_a_failed_change_leaves_no_message_and_no_row(self, company, staff_user):
        before = OutboxMessage.objects.count()
        with pytest.raises(ValidationError):
            services.key_person_add(
                actor=company["officer"],
                member=company["member"],
                data={**OWNER, "ownership_percent": 5},
            )
        assert OutboxMessage.objects.count() == before
        assert not KeyPerson.objects.filter(name=OWNER["name"]).exists()

    def test_change_keeps_the_history_and_the_page_shows_it(self, client, company):
        owner, member = company["owner"], company["member"]
        client.force_login(company["signatory"])
        edit = reverse("portal:person_edit", args=[owner.pk])
        data = {
            "role": "owner",
            "name": owner.name,
            "nationality": "BE",
            "country_of_residence": "NL",
            "ownership_percent": "60",
            "date_of_birth": "1970-05-01",
        }
        assert client.post(edit, data).status_code == 302
        new = KeyPerson.objects.get(member=member, ended_at__isnull=True)
        assert new.replaces_id == owner.pk and new.country_of_residence == "NL"
        assert new.review_status == PersonReview.PENDING
        owner.refresh_from_db()
        assert owner.ended_at is not None and owner.review_status == PersonReview.ACCEPTED
        history = client.get(reverse("portal:person_detail", args=[owner.pk]))
        assert history.status_code == 200
        assert [v.pk for v in history.context["history"]] == [new.pk, owner.pk]
        page = history.content.decode()
        assert "Netherlands" in page and "Belgium" in page
        # Editing the old version leads to the history instead.
        assert client.get(edit)["Location"] == reverse("portal:person_detail", args=[owner.pk])

    def test_removal_waits_for_review_and_htmx_answers_with_the_section(self, client, company):
        owner, member = company["owner"], company["member"]
        client.force_login(company["officer"])
        url = reverse("portal:person_remove", args=[owner.pk])
        response = client.post(url, {"confirm": "yes"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        page = response.content.decode()
        assert f'id="people-{member.pk}"' in page and "Removal waiting for review" in page
        owner.refresh_from_db()
        assert owner.ended_at is not None and owner.review_status == PersonReview.PENDING
        assert AuditEvent.objects.filter(action="key_person.removed").count() == 1

    def test_viewer_reads_but_may_not_change(self, client, company):
        owner, member = company["owner"], company["member"]
        client.force_login(company["viewer"])
        assert client.get(reverse("portal:people")).status_code == 200
        assert client.get(reverse("portal:person_detail", args=[owner.pk])).status_code == 200
        assert client.get(reverse("portal:person_add", args=[member.pk])).status_code == 403
        assert client.post(reverse("portal:person_edit", args=[owner.pk]), OWNER).status_code == 403
        remove = reverse("portal:person_remove", args=[owner.pk])
        assert client.post(remove, {"confirm": "yes"}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.key_person_remove(actor=company["viewer"], person=owner)
        owner.refresh_from_db()
        assert owner.ended_at is None

    def test_staff_accept_or_return_with_a_comment_the_member_reads(
        self, client, company, staff_user
    ):
        member = company["member"]
        added = services.key_person_add(actor=company["officer"], member=member, data=OWNER)
        returned = services.key_person_return(
            actor=staff_user, person=added, comment="The passport copy is missing."
        )
        assert returned.review_status == PersonReview.RETURNED
        assert returned.reviewed_by == staff_user
        client.force_login(company["officer"])
        page = client.get(reverse("portal:people")).content.decode()
        assert "The passport copy is missing." in page
        # Corrected: a new version, to review again; staff accept it.
        fixed = services.key_person_change(
            actor=company["officer"], person=returned, data={"control": "Chairs the board"}
        )
        assert fixed.review_status == PersonReview.PENDING
        accepted = services.key_person_accept(actor=staff_user, person=fixed)
        assert accepted.review_status == PersonReview.ACCEPTED
        with pytest.raises(IllegalTransition):
            services.key_person_accept(actor=staff_user, person=fixed)
        actions = set(
            AuditEvent.objects.filter(target_type="members.keyperson").values_list(
                "action", flat=True
            )
        )
        assert {"key_person.returned", "key_person.accepted"} <= actions

    def test_review_is_for_staff_only_and_needs_a_comment_to_return(self, company, staff_user):
        added = services.key_person_add(
            actor=company["officer"], member=company["member"], data=OWNER
        )
        for someone in (company["signatory"], UserFactory(staff=True, groups=["Auditors"])):
            with pytest.raises(PermissionDenied):
                services.key_person_accept(actor=someone, person=added)
        with pytest.raises(ValidationError, match="needs correcting"):
            services.key_person_return(actor=staff_user, person=added, comment="  ")
        added.refresh_from_db()
        assert added.review_status == PersonReview.PENDING

    def test_a_replaced_change_is_reviewed_through_its_successor(self, company, staff_user):
        added = services.key_person_add(
            actor=company["officer"], member=company["member"], data=OWNER
        )
        newer = services.key_person_change(
            actor=company["officer"], person=added, data={"ownership_percent": 70}
        )
        with pytest.raises(IllegalTransition, match="newer change"):
            services.key_person_accept(actor=staff_user, person=added)
        services.key_person_accept(actor=staff_user, person=newer)


# --- Staff: admin, queue, 360° ----------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


@pytest.mark.django_db
class TestStaff:
    def test_admin_list_filters_and_the_accept_and_return_buttons(self, staff_client, company):
        added = services.key_person_add(
            actor=company["officer"], member=company["member"], data=OWNER
        )
        changelist = reverse("admin:members_keyperson_changelist")
        queue = staff_client.get(changelist, {"to_review": "yes"})
        assert queue.status_code == 200
        assert [p.pk for p in queue.context["cl"].result_list] == [added.pk]
        by_member = staff_client.get(changelist, {"member__id__exact": company["member"].pk})
        assert {p.pk for p in by_member.context["cl"].result_list} == {
            added.pk,
            company["owner"].pk,
        }
        change = staff_client.get(reverse("admin:members_keyperson_change", args=[added.pk]))
        assert change.status_code == 200
        page = change.content.decode()
        assert "Accept the change" in page and "Return for correction" in page

        act = reverse("admin:members_keyperson_act", args=[added.pk, "return"])
        assert staff_client.post(act, {"comment": ""}).status_code == 400
        assert staff_client.post(act, {"comment": "Give the date of birth."}).status_code == 302
        added.refresh_from_db()
        assert added.review_status == PersonReview.RETURNED
        assert added.review_comment == "Give the date of birth."
        # Decided: no more buttons.
        page = staff_client.get(
            reverse("admin:members_keyperson_change", args=[added.pk])
        ).content.decode()
        assert "Accept the change" not in page
        # Nothing is edited or deleted directly.
        assert staff_client.get(reverse("admin:members_keyperson_add")).status_code == 403
        delete = reverse("admin:members_keyperson_delete", args=[added.pk])
        assert staff_client.get(delete).status_code == 403

    def test_applicant_people_show_on_the_application_and_are_not_reviewed_alone(
        self, staff_client
    ):
        application = complete_application(status=S.SUBMITTED)
        page = staff_client.get(
            reverse("admin:members_application_change", args=[application.pk])
        ).content.decode()
        assert "Jan Peeters" in page and "Marie Dubois" in page
        owner = application.people.get(role="owner")
        act = reverse("admin:members_keyperson_act", args=[owner.pk, "accept"])
        assert staff_client.post(act, {}).status_code == 403

    def test_the_workbench_queue_counts_and_links_the_oldest(self, staff_client, company):
        first = services.key_person_add(
            actor=company["officer"], member=company["member"], data=OWNER
        )
        KeyPerson.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
        services.key_person_add(
            actor=company["officer"],
            member=company["member"],
            data={"role": "director", "name": "Jean Dupont"},
        )
        from workbench.selectors import home_queues

        staff = staff_client.session.get("_auth_user_id")
        from members.models import User

        queue = {q.key: q for q in home_queues(User.objects.get(pk=staff), mine=False)}[
            "key_people"
        ]
        assert queue.count == 2
        assert queue.oldest_url == reverse("admin:members_keyperson_change", args=[first.pk])
        assert queue.age_days == 3
        assert "to_review=yes" in queue.url
        # Accepted: out of the queue.
        services.key_person_accept(actor=User.objects.get(pk=staff), person=first)
        queue = {q.key: q for q in home_queues(User.objects.get(pk=staff), mine=False)}[
            "key_people"
        ]
        assert queue.count == 1

    def test_the_360_page_shows_the_current_people(self, staff_client, company):
        url = reverse("workbench:member", args=[company["member"].pk])
        response = staff_client.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="member-people"' in page and company["owner"].name in page


# --- Scoping: every new URL, deny then allow -----------------------------------------------------


@pytest.mark.django_db
class TestScoping:
    def _urls(self, company, application, app_person):
        owner, member = company["owner"], company["member"]
        return {
            "member": [
                reverse("portal:person_detail", args=[owner.pk]),
                reverse("portal:person_edit", args=[owner.pk]),
                reverse("portal:person_remove", args=[owner.pk]),
                reverse("portal:person_add", args=[member.pk]),
            ],
            "application": [
                reverse("portal:application_person_add", args=[application.pk]),
                reverse("portal:application_person_edit", args=[application.pk, app_person.pk]),
                reverse("portal:application_person_remove", args=[application.pk, app_person.pk]),
            ],
        }

    def test_strangers_get_404_and_the_owners_200(self, client, company):
        application = _draft()
        app_person = key_person(application=application)
        owner_document = key_person(member=company["member"], role="director", name="D")
        from django.core.files.uploadedfile import SimpleUploadedFile

        from alliance_portal.documents import document_store

        document = document_store(
            actor=company["signatory"],
            uploaded_file=SimpleUploadedFile("id.pdf", pdf_bytes(), "application/pdf"),
        )
        KeyPerson.objects.filter(pk__in=[owner_document.pk, app_person.pk]).update(
            document=document
        )
        urls = self._urls(company, application, app_person)
        downloads = {
            "member": reverse("portal:person_document", args=[owner_document.pk]),
            "application": reverse(
                "portal:application_person_document", args=[application.pk, app_person.pk]
            ),
        }
        _other_member, other_signatory = member_with(Role.SIGNATORY)
        other_application = _draft()
        strangers = [
            other_signatory,  # a member of another organisation
            other_application.applicant,  # the applicant of another application
            auditor(),
            UserFactory(staff=True),  # staff use the admin, not the portal's pages
        ]
        for stranger in strangers:
            client.force_login(stranger)
            for url in [*urls["member"], *urls["application"], *downloads.values()]:
                for method in (client.get, client.post):
                    assert method(url).status_code == 404, (stranger, url)
        client.logout()
        for url in [*urls["member"], *urls["application"], *downloads.values()]:
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.get(reverse("portal:people")).status_code == 302

        # Then the owners.
        client.force_login(company["signatory"])
        for url in urls["member"]:
            assert client.get(url).status_code == 200, url
        assert client.get(downloads["member"]).status_code == 200
        client.force_login(application.applicant)
        for url in urls["application"]:
            assert client.get(url).status_code == 200, url
        assert client.get(downloads["application"]).status_code == 200

    def test_the_people_page_lists_only_the_users_companies(self, client, company):
        other_member, _ = member_with(Role.SIGNATORY)
        hidden = key_person(member=other_member, name="Hidden Owner")
        client.force_login(company["viewer"])
        page = client.get(reverse("portal:people")).content.decode()
        assert company["owner"].name in page and hidden.name not in page
        assert company["member"].legal_name in page and other_member.legal_name not in page

    def test_the_people_page_query_budget(self, client, company, django_assert_max_num_queries):
        for i in range(10):
            key_person(member=company["member"], role="director", name=f"Director {i}")
        client.force_login(company["signatory"])
        client.get(reverse("portal:people"))  # the session's first request loads its caches
        with django_assert_max_num_queries(12):
            response = client.get(reverse("portal:people"))
        assert response.status_code == 200
        assert response.content.decode().count('id="person-') == 11


# --- In a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_adds_an_owner_and_sees_it_waiting_for_review(page):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    member, _signatory = member_with(Role.SIGNATORY, email="mira@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("mira@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Owners and key people").click()
    expect(page.get_by_role("heading", name="Owners and key people")).to_be_visible()
    page.get_by_role("link", name="Add a person").click()

    page.get_by_label("Role").select_option("owner")
    page.get_by_label("Full name", exact=True).fill("Иван Петрович Сидоров")
    page.get_by_label("Share owned (%)").fill("51")
    page.get_by_role("button", name="Save").click()
    # Refused: the Latin name is missing. Nothing is kept.
    expect(page.locator("#name_latin-errors")).to_contain_text("not in Latin letters")
    assert not KeyPerson.objects.exists()

    page.get_by_label("Full name in Latin letters").fill("Ivan Petrovich Sidorov")
    page.get_by_label("Date of birth").fill("1971-03-14")
    page.get_by_label("Nationality").select_option("RU")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("The Customer Policy Department will review the change.")
    ).to_be_visible()
    row = page.locator(f"#people-{member.pk} tbody tr").first
    expect(row).to_contain_text("Ivan Petrovich Sidorov")
    expect(row).to_contain_text("Waiting for review")
    person = KeyPerson.objects.get()
    assert person.member == member and person.review_status == PersonReview.PENDING

    # Removing it with htmx: the section is redrawn with the removal waiting for review.
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("link", name="Remove").click()
    expect(page.locator(f"#people-{member.pk}")).to_contain_text("Removal waiting for review")
    person.refresh_from_db()
    assert person.ended_at is not None
