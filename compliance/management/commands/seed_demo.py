"""Demo data showing every part of the portal.

It lives in the top app (compliance) because it seeds every app below it, through their
services. Idempotent: running it twice leaves the same data.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import RequestFactory
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alliance_portal.emails import absolute_url, email_queue
from alliance_portal.exports import (
    export_job_run,
    export_job_start,
    export_list,
    exportable_admin,
)
from alliance_portal.models import ExportJob, OutboxMessage
from alliance_portal.pdf import render_pdf
from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from compliance import services as compliance
from compliance.models import (
    AnswerChoice,
    AuditorGrant,
    ComplianceCertificate,
    CycleKind,
    ForfeitureCase,
    Grade,
    Grounds,
    Severity,
)
from licensing import services as licensing
from licensing.agreement import agreement_text, sha256_text
from licensing.signing import consents
from members import services as members
from members.models import Application, DocumentRequirement, Member, Role, User

DEMO_PASSWORD = "alliance-demo"
# The demo certificate's code is fixed so the README can link to it; real codes are random.
DEMO_VERIFICATION_CODE = "demo-Hz3kQ8vN1pXw5tRb7yLc2mAe9sDf0gJu"

DEMO_USERS: list[dict[str, Any]] = [
    {
        "email": "staff@example.com",
        "full_name": "Sofia Staff",
        "is_staff": True,
        "groups": [STAFF_GROUP],
    },
    {
        "email": "decider@example.com",
        "full_name": "Dmitry Decider",
        "is_staff": True,
        "groups": [STAFF_GROUP, DECISION_MAKERS_GROUP],
    },
    {"email": "auditor@example.com", "full_name": "Anna Auditor", "groups": [AUDITORS_GROUP]},
    {"email": "member@example.com", "full_name": "Mikhail Member"},
    {"email": "officer@example.com", "full_name": "Olga Officer"},
    {"email": "applicant@example.com", "full_name": "Pavel Applicant"},
    {"email": "member2@example.com", "full_name": "Nadia Member"},
]

DEMO_MEMBER = {
    "legal_name": "Demo Diamonds Ltd",
    "registration_number": "DD-100200",
    "country": "BE",
    "address": "Hoveniersstraat 2\n2018 Antwerp",
    "website": "https://demo-diamonds.example.com",
    "kp_registration": "KP-BE-0042",
    "contract_reference": "LTC-2026-017",
    "is_long_term_client": True,
    "trades_only_kp_certified": True,
    "free_of_sanctions": True,
    "accepts_guidelines": True,
    "public_listing_consent": True,
}

SECOND_MEMBER = {
    "legal_name": "Northern Lights Trading FZE",
    "registration_number": "NLT-4455",
    "country": "AE",
    "address": "Gold and Diamond Park, Sheikh Zayed Road\nDubai",
    "website": "",
    "kp_registration": "KP-AE-0777",
    "contract_reference": "LTC-2025-008",
    "is_long_term_client": True,
    "trades_only_kp_certified": True,
    "free_of_sanctions": True,
    "accepts_guidelines": True,
    "public_listing_consent": True,
}

DEMO_APPLICANT = {
    "legal_name": "Polar Rough Trading LLC",
    "registration_number": "PRT-778899",
    "country": "AE",
    "address": "Almas Tower, Jumeirah Lakes Towers\nDubai",
    "website": "",
    "kp_registration": "KP-AE-0311",
    "contract_reference": "LTC-2026-044",
    "is_long_term_client": True,
    "trades_only_kp_certified": True,
    "free_of_sanctions": True,
    "accepts_guidelines": True,
    "public_listing_consent": False,
}


def _sample_pdf(title: str, company: str) -> SimpleUploadedFile:
    html = (
        f"<h1>{escape(title)}</h1><p>{escape(company)}</p>"
        "<p>A sample document made for the portal's demo data.</p>"
    )
    name = f"{title.lower().replace(' ', '-').replace('/', '-')}.pdf"
    return SimpleUploadedFile(name, render_pdf(html), content_type="application/pdf")


def _prepared_application(user: User, data: dict[str, Any]) -> Application:
    application = members.application_create(actor=user)
    members.application_update(actor=user, application=application, data=data)
    for requirement in DocumentRequirement.objects.filter(active=True, required=True):
        members.application_attach_document(
            actor=user,
            application=application,
            requirement=requirement,
            uploaded_file=_sample_pdf(requirement.title_en, data["legal_name"]),
        )
    return members.application_submit(actor=user, application=application)


def _bounced_copy(case: ForfeitureCase) -> None:
    """The outbox shows staff a failure: the notice's copy to the officer who left bounced
    (the demo's mail goes nowhere, so the bounce is recorded here as the relay would)."""
    message = email_queue(
        to="former.officer@northern-lights.example",
        template="case_notice",
        language="en",
        context={
            "company": case.licence.member.legal_name,
            "url": absolute_url(reverse("compliance:case_detail", args=[case.pk])),
            "grounds": case.grounds,
            "days": settings.ALLIANCE_RESPONSE_WINDOW_DAYS,
        },
        about=case,
        member_id=case.licence.member_id,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.FAILED,
        attempts=1,
        failed_at=timezone.now(),
        last_error="refused by the mail server: 550 5.1.1 mailbox unavailable (demo)",
    )


class Command(BaseCommand):
    help = "Create or refresh the demo users and data (only with DEBUG on)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        users = {
            spec["email"]: members.user_provision(actor=None, password=DEMO_PASSWORD, **spec)
            for spec in DEMO_USERS
        }
        # The demo's own e-mails (submissions, approvals) would only flood the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._seed_members(users)
        self._seed_exports(users)
        for email in users:
            self.stdout.write(f"  {email} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"  Demo certificate: {settings.ALLIANCE_BASE_URL}/verify/{DEMO_VERIFICATION_CODE}/"
        )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _seed_compliance(self, users: dict[str, User], demo: Member) -> None:
        staff = users["staff@example.com"]
        signatory = users["member@example.com"]
        if not demo.review_cycles.exists():
            # A past review, accepted, with one finding still open.
            past = compliance.cycle_open(actor=staff, member=demo, kind=CycleKind.INITIAL)
            for answer in past.answers.select_related("criterion"):
                compliance.answer_save(
                    actor=signatory,
                    cycle=past,
                    criterion=answer.criterion,
                    answer=AnswerChoice.COMPLIANT,
                    explanation="",
                )
                compliance.evidence_add(
                    actor=signatory,
                    cycle=past,
                    criterion=answer.criterion,
                    uploaded_file=_sample_pdf(f"Evidence {answer.criterion.code}", demo.legal_name),
                )
            compliance.cycle_submit(
                actor=signatory, cycle=past, typed_name="Mikhail Member", declared=True
            )
            compliance.cycle_start_review(actor=staff, cycle=past)
            compliance.finding_raise(
                actor=staff,
                cycle=past,
                criterion=past.answers.get(criterion__code="2.4").criterion,
                severity=Severity.MINOR,
                description="The supply chain risk assessment does not cover polished suppliers.",
                corrective_action="Extend the assessment to polished suppliers and send it.",
                due_on=timezone.localdate() + timedelta(days=60),
            )
            compliance.cycle_accept(
                actor=staff,
                cycle=past,
                grade=Grade.IMPROVEMENT,
                note="Good evidence overall; see the open finding on 2.4.",
            )
            ComplianceCertificate.objects.filter(cycle=past).update(
                verification_code=DEMO_VERIFICATION_CODE
            )
            compliance.auditor_grant_save(
                actor=staff,
                grant=AuditorGrant(
                    auditor=users["auditor@example.com"],
                    member=demo,
                    expires_on=timezone.localdate() + timedelta(days=365),
                ),
            )
            # This year's review, half answered by the compliance officer.
            current = compliance.cycle_open(actor=staff, member=demo, kind=CycleKind.PERIODIC)
            for answer in current.answers.select_related("criterion")[:5]:
                compliance.answer_save(
                    actor=users["officer@example.com"],
                    cycle=current,
                    criterion=answer.criterion,
                    answer=AnswerChoice.COMPLIANT,
                    explanation="",
                )

        second = Member.objects.filter(legal_name=SECOND_MEMBER["legal_name"]).first()
        if second is None:
            application = _prepared_application(users["member2@example.com"], SECOND_MEMBER)
            members.application_start_review(actor=staff, application=application)
            second = members.application_approve(
                actor=staff, application=application, risk_rating="high"
            )
            self._sign_licence(staff, users["member2@example.com"], second)
        licence = second.licences.get()
        if not licence.cases.exists():
            case = compliance.case_open(
                actor=staff,
                licence=licence,
                grounds=Grounds.FAILURE_TO_ATTEST,
                narrative="No attestation was received for the annual review, despite reminders.",
            )
            compliance.case_send_notice(actor=staff, case=case)
            compliance.case_respond(
                actor=users["member2@example.com"],
                case=case,
                response="Our compliance officer left in spring; the attestation will follow "
                "within two weeks. We ask for a warning rather than a suspension.",
            )
            _bounced_copy(case)

    @staticmethod
    def _seed_exports(users: dict[str, User]) -> None:
        """A members list ready to download under "My exports" for each staff login."""
        members_list = exportable_admin("members.member")
        for email in ("staff@example.com", "decider@example.com"):
            user = users[email]
            kept = ExportJob.objects.filter(requested_by=user).exclude(
                status__in=[ExportJob.Status.FAILED, ExportJob.Status.EXPIRED]
            )
            if not kept.exists():
                export = export_list(members_list, user=user, query="")
                job = export_job_start(actor=user, export=export, file_format="xlsx", query="")
                export_job_run(job_id=str(job.pk))

    @staticmethod
    def _sign_licence(staff: User, signatory: User, member: Member) -> None:
        licence = licensing.licence_create_and_issue(actor=staff, member=member)
        request = RequestFactory().post(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="seed_demo (demo data)"
        )
        licensing.licence_sign(
            actor=signatory,
            licence=licence,
            typed_name="Mikhail Member",
            typed_title="Managing Director",
            accepted=[key for key, _text in consents()],
            shown_sha256=sha256_text(agreement_text(licence)),
            request=request,
        )

    @transaction.atomic
    def _seed_members(self, users: dict[str, User]) -> None:
        staff = users["staff@example.com"]
        if not Member.objects.filter(legal_name=DEMO_MEMBER["legal_name"]).exists():
            application = _prepared_application(users["member@example.com"], DEMO_MEMBER)
            members.application_start_review(actor=staff, application=application)
            member = members.application_approve(
                actor=staff,
                application=application,
                risk_rating="medium",
                reason="Welcome to the ALROSA ALLIANCE programme.",
            )
            _invitation, token = members.invitation_create(
                actor=users["member@example.com"],
                member=member,
                email="officer@example.com",
                role=Role.COMPLIANCE_OFFICER,
            )
            members.invitation_accept(actor=users["officer@example.com"], token=token)
        demo = Member.objects.get(legal_name=DEMO_MEMBER["legal_name"])
        if not demo.licences.exists():
            self._sign_licence(staff, users["member@example.com"], demo)

        self._seed_compliance(users, demo)

        applicant = users["applicant@example.com"]
        if not Application.objects.filter(applicant=applicant).exists():
            application = _prepared_application(applicant, DEMO_APPLICANT)
            members.application_start_review(actor=staff, application=application)
