"""The admin's workflow buttons, decision form, pickers and lists, as staff meet them."""

import io
from datetime import timedelta

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from alliance_portal.roles import AUDITORS_GROUP
from compliance import services
from compliance.models import AuditorGrant, CaseStatus, Finding, ForfeitureCase
from licensing.models import Criterion, LicenceStatus
from members.models import Member
from tests.factories import (
    UserFactory,
    auditor,
    cycle_for,
    decider,
    licence_in,
    signatory_of,
)
from tests.files import pdf_bytes
from tests.helpers import login_with_mfa


def act_url(case, action):
    return reverse("admin:compliance_forfeiturecase_act", args=[case.pk, action])


def change_url(case):
    return reverse("admin:compliance_forfeiturecase_change", args=[case.pk])


def responded_case(opener, *, with_finding=True):
    """A case on an active licence whose member responded with a document (as in the demo)."""
    licence = licence_in("active")
    findings = []
    if with_finding:
        cycle = cycle_for("in_review", licence=licence)
        findings = [
            services.finding_raise(
                actor=UserFactory(staff=True),
                cycle=cycle,
                criterion=cycle.answers.first().criterion,
                severity="major",
                description="Suppliers are not screened.",
                corrective_action="Screen every supplier yearly.",
                due_on=timezone.localdate() + timedelta(days=30),
            )
        ]
    case = services.case_open(
        actor=opener,
        licence=licence,
        grounds="failure_to_remediate",
        narrative="The supplier screening finding is overdue.",
        findings=findings,
    )
    services.case_send_notice(actor=opener, case=case)
    signatory = signatory_of(licence.member)
    services.case_add_response_document(
        actor=signatory,
        case=case,
        uploaded_file=SimpleUploadedFile("screening-plan.pdf", pdf_bytes()),
    )
    services.case_respond(
        actor=signatory, case=case, response="Screening starts next month; plan attached."
    )
    case.refresh_from_db()
    return case


def decided_case(opener, decision):
    case = responded_case(opener, with_finding=False)
    services.case_decide(actor=decider(), case=case, decision=decision, reasons="Decided.")
    case.refresh_from_db()
    return case


@pytest.mark.django_db
class TestDecideButton:
    def test_the_opener_has_no_decide_button_and_the_url_refuses(self, client):
        opener = decider()  # a decision maker, but the one who opened the case
        case = responded_case(opener)
        login_with_mfa(client, opener)
        assert act_url(case, "decide") not in client.get(change_url(case)).content.decode()
        assert client.get(act_url(case, "decide")).status_code == 403
        refused = client.post(act_url(case, "decide"), {"decision": "warning", "reasons": "x"})
        assert refused.status_code == 403
        assert "other than the person who opened" in refused.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.RESPONSE_RECEIVED

    def test_staff_without_the_decide_permission_have_no_button(self, client, staff_user):
        case = responded_case(UserFactory(staff=True))
        login_with_mfa(client, staff_user)
        html = client.get(change_url(case)).content.decode()
        assert act_url(case, "decide") not in html
        assert act_url(case, "send_notice") not in html  # not from this state either
        refused = client.post(act_url(case, "decide"), {"decision": "warning", "reasons": "x"})
        assert refused.status_code == 403
        assert "Only decision makers" in refused.content.decode()
        case.refresh_from_db()
        assert case.decision == ""

    def test_a_decider_who_did_not_open_it_has_the_button(self, client):
        case = responded_case(UserFactory(staff=True))
        login_with_mfa(client, decider())
        assert act_url(case, "decide") in client.get(change_url(case)).content.decode()
        assert client.get(act_url(case, "decide")).status_code == 200


@pytest.mark.django_db
class TestLiftTheSuspension:
    @pytest.mark.parametrize("decision", ["dismissed", "warning"])
    def test_no_button_on_a_case_that_suspended_nothing(self, client, decision):
        case = decided_case(UserFactory(staff=True), decision)
        login_with_mfa(client, decider())
        assert act_url(case, "reinstate") not in client.get(change_url(case)).content.decode()
        refused = client.post(act_url(case, "reinstate"), {"reason": "Remedied."})
        assert refused.status_code == 400
        assert "Only a suspension not yet ended can be lifted" in refused.content.decode()

    def test_the_button_on_a_suspension_for_a_decider_who_did_not_open_it(self, client):
        opener = decider()
        case = decided_case(opener, "suspension")
        assert case.licence.status == LicenceStatus.SUSPENDED
        login_with_mfa(client, opener)
        assert act_url(case, "reinstate") not in client.get(change_url(case)).content.decode()
        assert client.post(act_url(case, "reinstate"), {"reason": "Done."}).status_code == 403
        login_with_mfa(client, decider())
        assert act_url(case, "reinstate") in client.get(change_url(case)).content.decode()
        assert client.post(act_url(case, "reinstate"), {"reason": "Remedied."}).status_code == 302
        case.licence.refresh_from_db()
        assert case.licence.status == LicenceStatus.ACTIVE
        assert act_url(case, "reinstate") not in client.get(change_url(case)).content.decode()


@pytest.mark.django_db
class TestDecideForm:
    def test_shows_the_case_the_response_and_its_documents(self, client):
        case = responded_case(UserFactory(staff=True))
        login_with_mfa(client, decider())
        page = lxml.html.fromstring(client.get(act_url(case, "decide")).content.decode())
        summary = page.get_element_by_id("case-summary").text_content()
        assert "Failure to remediate findings" in summary
        assert "The supplier screening finding is overdue." in summary
        assert "Suppliers are not screened." in summary
        assert "Screening starts next month; plan attached." in summary
        (link,) = page.xpath('//*[@id="case-documents"]//a')
        assert link.text_content() == "screening-plan.pdf"
        download = client.get(link.get("href"))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")

    def test_no_decision_is_chosen_for_the_decider(self, client):
        case = responded_case(UserFactory(staff=True))
        login_with_mfa(client, decider())
        page = lxml.html.fromstring(client.get(act_url(case, "decide")).content.decode())
        options = page.xpath('//select[@name="decision"]/option')
        assert options[0].get("value") == ""
        assert [o.get("value") for o in options if o.get("selected") is not None] in ([], [""])
        missing = client.post(act_url(case, "decide"), {"reasons": "Given."})
        assert missing.status_code == 400
        assert "This field is required" in missing.content.decode()
        case.refresh_from_db()
        assert case.status == CaseStatus.RESPONSE_RECEIVED and case.decision == ""
        done = client.post(act_url(case, "decide"), {"decision": "warning", "reasons": "Given."})
        assert done.status_code == 302
        case.refresh_from_db()
        assert case.decision == "warning"

    def test_a_case_without_a_response_says_so(self, client, staff_user):
        licence = licence_in("active")
        case = services.case_open(
            actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Misuse."
        )
        services.case_send_notice(actor=staff_user, case=case)
        ForfeitureCase.objects.filter(pk=case.pk).update(
            response_due_on=timezone.localdate() - timedelta(days=1)
        )
        services.case_close_window(actor=staff_user, case=case)
        login_with_mfa(client, decider())
        html = client.get(act_url(case, "decide")).content.decode()
        assert "No response was received" in html


def autocomplete(client, app_label, model_name, field_name, term=""):
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


@pytest.mark.django_db
class TestPickers:
    def test_staff_forms_use_searchable_pickers(self, staff_client):
        pages = {
            "admin:compliance_forfeiturecase_add": ["licence", "findings", "cycles"],
            "admin:compliance_finding_add": ["cycle", "criterion"],
            "admin:compliance_reviewcycle_add": ["member"],
            "admin:compliance_auditorgrant_add": ["auditor", "member"],
            "admin:licensing_licenceagreement_add": ["member"],
        }
        for name, fields in pages.items():
            page = lxml.html.fromstring(staff_client.get(reverse(name)).content.decode())
            for field in fields:
                (select,) = page.xpath(f'//select[@name="{field}"]')
                assert "admin-autocomplete" in select.get("class", ""), (name, field)

    def test_the_case_licence_picker_names_the_member_and_offers_licences_in_force(
        self, staff_client
    ):
        active = licence_in("active")
        licence_in("issued")  # awaiting its signature: no case on it
        found = autocomplete(staff_client, "compliance", "forfeiturecase", "licence").json()
        assert [r["id"] for r in found["results"]] == [str(active.pk)]
        assert found["results"][0]["text"] == (
            f"{active.number} · {active.member.legal_name} · Active"
        )
        by_name = autocomplete(
            staff_client, "compliance", "forfeiturecase", "licence", active.member.legal_name
        ).json()
        assert [r["id"] for r in by_name["results"]] == [str(active.pk)]

    def test_a_refused_case_form_shows_the_chosen_licence_by_its_member(self, staff_client):
        issued = licence_in("issued")
        response = staff_client.post(
            reverse("admin:compliance_forfeiturecase_add"),
            {"licence": issued.pk, "grounds": "logo_misuse", "narrative": "x"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "A case is opened on a licence in force." in html
        assert f"{issued.number} · {issued.member.legal_name}" in html

    def test_the_finding_picker_names_the_member(self, staff_client):
        cycle = cycle_for("in_review")
        finding = services.finding_raise(
            actor=UserFactory(staff=True),
            cycle=cycle,
            criterion=None,
            severity="minor",
            description="Old policy.",
            corrective_action="Update it.",
            due_on=timezone.localdate() + timedelta(days=10),
        )
        found = autocomplete(staff_client, "compliance", "forfeiturecase", "findings").json()
        assert found["results"] == [
            {"id": str(finding.pk), "text": f"{cycle.member.legal_name} · {finding}"}
        ]

    def test_the_criterion_picker_searches_by_code(self, staff_client):
        found = autocomplete(staff_client, "compliance", "finding", "criterion", "2.4").json()
        criterion = Criterion.objects.get(code="2.4")
        assert {"id": str(criterion.pk)} in [{"id": r["id"]} for r in found["results"]]
        assert any(r["text"].startswith("2.4 ") for r in found["results"])

    def test_the_auditor_picker_offers_auditors_only(self, staff_client):
        wanted = auditor(email="anna.auditor@example.org")
        UserFactory(email="anna.member@example.org")
        found = autocomplete(staff_client, "compliance", "auditorgrant", "auditor", "anna").json()
        assert [r["id"] for r in found["results"]] == [str(wanted.pk)]
        assert wanted.groups.filter(name=AUDITORS_GROUP).exists()

    def test_pickers_answer_only_staff_who_may_see_the_records(self, client):
        licence_in("active")
        outsider = UserFactory(staff=True)
        outsider.groups.clear()
        login_with_mfa(client, outsider)
        assert autocomplete(client, "compliance", "forfeiturecase", "licence").status_code == 403


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
class TestListsNameTheMember:
    def test_every_list_shows_the_member_name(self, staff_client, staff_user):
        case = responded_case(staff_user)
        member = case.licence.member
        services.auditor_grant_save(
            actor=staff_user,
            grant=AuditorGrant(
                auditor=auditor(), member=member, expires_on=timezone.localdate() + timedelta(1)
            ),
        )
        link = format_html(
            '<a href="{}">{}</a>',
            reverse("workbench:member", args=[member.pk]),
            member.legal_name,
        )
        for name in (
            "admin:compliance_finding_changelist",
            "admin:compliance_reviewcycle_changelist",
            "admin:compliance_forfeiturecase_changelist",
            "admin:compliance_auditorgrant_changelist",
            "admin:licensing_licenceagreement_changelist",
        ):
            assert link in staff_client.get(reverse(name)).content.decode(), name

    @pytest.mark.parametrize(
        "name",
        [
            "admin:compliance_finding_changelist",
            "admin:compliance_forfeiturecase_changelist",
            "admin:compliance_reviewcycle_changelist",
            "admin:licensing_licenceagreement_changelist",
        ],
    )
    def test_list_queries_do_not_grow_with_rows(self, staff_client, staff_user, name):
        responded_case(staff_user)
        few = _queries(staff_client, reverse(name))
        for _ in range(6):
            responded_case(staff_user)
        many = _queries(staff_client, reverse(name))
        assert many == few
        assert Finding.objects.count() == 7


@pytest.mark.django_db
def test_the_demo_case_is_decided_by_the_decider_from_a_form_with_the_response(
    client, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from members.models import User

    settings.DEBUG = True
    settings.ALLIANCE_REQUIRE_MFA = False  # as in the local demo: its logins have no TOTP
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    case = ForfeitureCase.objects.get()
    assert case.response_documents.count() == 1
    login_with_mfa(client, User.objects.get(email="staff@example.com"))  # the opener
    assert act_url(case, "decide") not in client.get(change_url(case)).content.decode()
    login_with_mfa(client, User.objects.get(email="decider@example.com"))
    assert act_url(case, "decide") in client.get(change_url(case)).content.decode()
    page = lxml.html.fromstring(client.get(act_url(case, "decide")).content.decode())
    assert "the attestation will follow" in page.get_element_by_id("case-response").text_content()
    (link,) = page.xpath('//*[@id="case-documents"]//a')
    assert link.text_content() == "attestation-plan.pdf"
    for member in case.licence.member, Member.objects.get(legal_name="Demo Diamonds Ltd"):
        html = client.get(reverse("workbench:member", args=[member.pk])).content.decode()
        assert member.legal_name in html
