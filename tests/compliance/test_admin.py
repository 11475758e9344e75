"""Staff review of attestations, findings and cases in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import Answer, Finding, ForfeitureCase, ReviewCycle
from licensing.models import LicenceStatus
from tests.factories import answer_everything, cycle_for, decider, licence_in, signatory_of
from tests.helpers import login_with_mfa


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


def act(client, model, obj, action, data=None):
    return client.post(reverse(f"admin:compliance_{model}_act", args=[obj.pk, action]), data or {})


@pytest.mark.django_db
def test_open_an_ad_hoc_cycle_from_the_admin(staff_client):
    licence = licence_in("active")
    response = staff_client.post(
        reverse("admin:compliance_reviewcycle_add"),
        {
            "member": licence.member.pk,
            "kind": "ad_hoc",
            "due_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    cycle = ReviewCycle.objects.get()
    assert cycle.kind == "ad_hoc" and cycle.answers.count() == 12


@pytest.mark.django_db
def test_review_with_notes_changes_and_grade(staff_client, staff_user):
    cycle = cycle_for("open")
    answer_everything(cycle, signatory_of(cycle.member))
    services.cycle_submit(
        actor=signatory_of(cycle.member), cycle=cycle, typed_name="I", declared=True
    )
    change = reverse("admin:compliance_reviewcycle_change", args=[cycle.pk])
    page = staff_client.get(change)
    assert page.status_code == 200
    assert "Not part of our business." in page.content.decode()
    assert act(staff_client, "reviewcycle", cycle, "start_review").status_code == 302
    assert (
        act(staff_client, "reviewcycle", cycle, "request_changes", {"note": ""}).status_code == 400
    )
    # A note on one criterion, through the inline.
    answers = list(Answer.objects.filter(cycle=cycle).order_by("pk"))
    data = {
        "answers-TOTAL_FORMS": str(len(answers)),
        "answers-INITIAL_FORMS": str(len(answers)),
        "submissions-TOTAL_FORMS": "1",
        "submissions-INITIAL_FORMS": "1",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
    }
    for i, answer in enumerate(answers):
        data[f"answers-{i}-id"] = str(answer.pk)
        data[f"answers-{i}-cycle"] = str(cycle.pk)
        data[f"answers-{i}-reviewer_note"] = "Please attach the policy." if i == 0 else ""
    data["submissions-0-id"] = str(cycle.submissions.get().pk)
    data["submissions-0-cycle"] = str(cycle.pk)
    saved = staff_client.post(change, data)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert Answer.objects.get(pk=answers[0].pk).reviewer_note == "Please attach the policy."
    assert (
        act(staff_client, "reviewcycle", cycle, "accept", {"grade": "stellar"}).status_code == 400
    )
    assert act(staff_client, "reviewcycle", cycle, "accept", {"grade": "minor"}).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome, cycle.decided_by) == ("accepted", "minor", staff_user)


@pytest.mark.django_db
def test_raise_and_close_a_finding(staff_client):
    cycle = cycle_for("in_review")
    response = staff_client.post(
        reverse("admin:compliance_finding_add"),
        {
            "cycle": cycle.pk,
            "criterion": cycle.answers.first().criterion_id,
            "severity": "major",
            "description": "No AML policy.",
            "corrective_action": "Adopt one.",
            "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    finding = Finding.objects.get()
    assert act(staff_client, "finding", finding, "escalate", {"note": ""}).status_code == 400
    assert act(staff_client, "finding", finding, "close").status_code == 302
    finding.refresh_from_db()
    assert finding.status == "closed"


@pytest.mark.django_db
def test_the_opener_sees_the_four_eyes_rule_and_a_decider_decides(client, staff_user):
    opener = decider()
    login_with_mfa(client, opener)
    licence = licence_in("active")
    response = client.post(
        reverse("admin:compliance_forfeiturecase_add"),
        {"licence": licence.pk, "grounds": "logo_misuse", "narrative": "Logo on a website."},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    case = ForfeitureCase.objects.get()
    assert act(client, "forfeiturecase", case, "send_notice").status_code == 302
    ForfeitureCase.objects.filter(pk=case.pk).update(
        response_due_on=timezone.localdate() - timedelta(days=1)
    )
    assert act(client, "forfeiturecase", case, "close_window").status_code == 302
    refused = act(
        client, "forfeiturecase", case, "decide", {"decision": "forfeiture", "reasons": "x"}
    )
    # The opener has no Decide button; the URL itself refuses, saying why.
    assert refused.status_code == 403
    assert "other than the person who opened" in refused.content.decode()

    login_with_mfa(client, decider())
    done = act(
        client, "forfeiturecase", case, "decide", {"decision": "forfeiture", "reasons": "Misuse."}
    )
    assert done.status_code == 302
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.FORFEITED


@pytest.mark.django_db
def test_staff_see_a_notice_bounce_and_confirm_delivery_by_other_means(
    staff_client, staff_user, settings
):
    from alliance_portal.outbox import relay_pending
    from tests.smtp_sink import SmtpSink, smtp_settings

    licence = licence_in("active")
    signatory = signatory_of(licence.member)
    case = services.case_open(
        actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Logo on scrap."
    )
    page = reverse("admin:compliance_forfeiturecase_change", args=[case.pk])
    confirm = reverse("admin:compliance_forfeiturecase_act", args=[case.pk, "confirm_notice"])
    assert confirm not in staff_client.get(page).content.decode()  # no notice sent yet
    with SmtpSink() as sink:
        smtp_settings(settings, sink)
        sink.refused.add(signatory.email)
        assert act(staff_client, "forfeiturecase", case, "send_notice").status_code == 302
        relay_pending()
    html = staff_client.get(page).content.decode()
    assert signatory.email in html and "550" in html and "not acknowledged" in html
    assert confirm in html
    assert (
        act(staff_client, "forfeiturecase", case, "confirm_notice", {"note": ""}).status_code == 400
    )
    response = act(
        staff_client, "forfeiturecase", case, "confirm_notice", {"note": "Couriered on Monday."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.response_due_on == timezone.localdate() + timedelta(days=30)
    assert confirm not in staff_client.get(page).content.decode()
    member_page = reverse("admin:members_member_change", args=[licence.member_id])
    assert signatory.email in staff_client.get(member_page).content.decode()
