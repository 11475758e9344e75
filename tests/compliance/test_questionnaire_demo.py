"""The demo shows the questionnaire's evidence library and the auditor's view of the demo
member's answers and evidence."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse

from compliance.models import AnswerEvidence
from members.models import Member, User
from tests.helpers import login_with_mfa


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_demo_shares_a_document_and_opens_the_member_to_the_auditor(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    demo = Member.objects.get(legal_name="Demo Diamonds Ltd")
    current = demo.review_cycles.get(status="open")
    shared = (
        AnswerEvidence.objects.filter(answer__cycle=current)
        .values("document")
        .annotate(uses=Count("answer"))
    )
    assert [row["uses"] for row in shared] == [2]

    client.force_login(User.objects.get(email="officer@example.com"))
    html = client.get(reverse("compliance:cycle_detail", args=[current.pk])).content.decode()
    assert "responsible-sourcing-policy.pdf" in html and 'id="evidence-library"' in html

    auditor = User.objects.get(email="auditor@example.com")
    TOTP.activate(auditor, generate_totp_secret())  # the demo's auditor enrols on first visit
    login_with_mfa(client, auditor)
    past = demo.review_cycles.get(status="accepted")
    page = client.get(reverse("auditor:member_detail", args=[demo.pk])).content.decode()
    assert reverse("auditor:cycle_detail", args=[past.pk]) in page
    cycle_page = client.get(reverse("auditor:cycle_detail", args=[past.pk])).content.decode()
    first = AnswerEvidence.objects.filter(answer__cycle=past).first()
    assert reverse("auditor:evidence_download", args=[past.pk, first.document_id]) in cycle_page
