"""Demo data showing every part of the portal.

It lives in the top app (compliance) because it seeds every app below it, through their
services. Idempotent: running it twice leaves the same data.
"""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import RequestFactory
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from alliance_portal.calendar import calendar_token_hash
from alliance_portal.documents.validity import default_expiry
from alliance_portal.emails import absolute_url, email_queue
from alliance_portal.exports import (
    export_job_run,
    export_job_start,
    export_list,
    exportable_admin,
)
from alliance_portal.models import Document, ExportJob, Notification, OutboxMessage
from alliance_portal.notifications import DAILY
from alliance_portal.pdf import render_pdf
from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from compliance import services as compliance
from compliance.management.demo_editions import seed_expired_evidence, seed_third_edition
from compliance.models import (
    OPEN_CYCLE_STATUSES,
    AnswerChoice,
    AnswerEvidence,
    AuditorGrant,
    ComplianceCertificate,
    CycleKind,
    CycleStatus,
    Finding,
    FindingStatus,
    ForfeitureCase,
    Grade,
    Grounds,
    MemberCalendarToken,
    ReviewCycle,
    Severity,
)
from compliance.services.certificates import certificate_pending_create, certificate_pending_record
from licensing import logo_uses
from licensing import services as licensing
from licensing.agreement import agreement_text, sha256_text
from licensing.models import LogoUse, LogoUseMedium
from licensing.signing import consents
from members import services as members
from members.models import (
    Application,
    DataConsent,
    DocumentRequirement,
    KeyPerson,
    Member,
    Role,
    User,
)
from members.selectors import current_member_documents
from members.services.applications import CHECKLIST_FIELDS

DEMO_PASSWORD = "alliance-demo"
# The demo certificate's code is fixed so the README can link to it; real codes are random.
DEMO_VERIFICATION_CODE = "demo-Hz3kQ8vN1pXw5tRb7yLc2mAe9sDf0gJu"
# The member calendar feed of member@example.com (README). Real feed tokens are random and
# shown once; this one is known so the demo's feed address can be written down.
DEMO_MEMBER_FEED_TOKEN = "demo-feed-Qm7Rt2Vx9Lk4Np8Sd3Hj6Wc1Zb5Fg0Ye"

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
# The logins that signed up in the portal, and so consented to the processing of their data.
DEMO_CONSENTING = [
    "member@example.com",
    "officer@example.com",
    "applicant@example.com",
    "member2@example.com",
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


# Owners and key people (fictional). The applicant's owner is the person the fictional sample
# sanctions list names, so the demo shows a screening hit.
DEMO_MEMBER_PEOPLE: list[dict[str, Any]] = [
    {
        "role": "owner",
        "name": "Pieter Van den Broeck",
        "date_of_birth": date(1968, 9, 2),
        "nationality": "BE",
        "country_of_residence": "BE",
        "ownership_percent": Decimal("60"),
    },
    {
        "role": "owner",
        "name": "Елена Викторовна Маркова",
        "name_latin": "Elena Viktorovna Markova",
        "date_of_birth": date(1979, 1, 23),
        "nationality": "RU",
        "country_of_residence": "CY",
        "ownership_percent": Decimal("40"),
    },
    {
        "role": "signatory",
        "name": "Mikhail Member",
        "date_of_birth": date(1975, 6, 11),
        "nationality": "BE",
        "country_of_residence": "BE",
    },
]
SECOND_MEMBER_PEOPLE: list[dict[str, Any]] = [
    {
        "role": "director",
        "name": "Nadia Member",
        "date_of_birth": date(1983, 4, 30),
        "nationality": "AE",
        "country_of_residence": "AE",
    },
]
SECOND_MEMBER_NO_OWNER_REASON = (
    "The shares are held by 14 partners, none with more than 10 %; no one controls the company "
    "by agreement."
)
DEMO_APPLICANT_PEOPLE: list[dict[str, Any]] = [
    {
        "role": "owner",
        "name": "Иван Петрович Сидоров",
        "name_latin": "Ivan Petrovich Sidorov",
        "date_of_birth": date(1971, 3, 14),
        "nationality": "RU",
        "country_of_residence": "AE",
        "ownership_percent": Decimal("51"),
    },
    {
        "role": "director",
        "name": "Pavel Applicant",
        "date_of_birth": date(1985, 10, 5),
        "nationality": "AE",
        "country_of_residence": "AE",
    },
]


def _sample_pdf(title: str, company: str) -> SimpleUploadedFile:
    html = (
        f"<h1>{escape(title)}</h1><p>{escape(company)}</p>"
        "<p>A sample document made for the portal's demo data.</p>"
    )
    name = f"{title.lower().replace(' ', '-').replace('/', '-')}.pdf"
    return SimpleUploadedFile(name, render_pdf(html), content_type="application/pdf")


def _sample_png() -> bytes:
    """A small picture, so the review screen shows an image beside the PDFs."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), "#f4f1e8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 440, 260), outline="#1f5f8b", width=6)
    draw.text((70, 130), "Safety first: helmets and boots beyond this point", fill="#1f5f8b")
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _prepared_application(
    user: User, data: dict[str, Any], people: list[dict[str, Any]]
) -> Application:
    application = members.application_create(actor=user)
    members.application_update(actor=user, application=application, data=data)
    for person in people:
        members.key_person_add(actor=user, application=application, data=person)
    for requirement in DocumentRequirement.objects.filter(active=True, required=True):
        members.application_attach_document(
            actor=user,
            application=application,
            requirement=requirement,
            uploaded_file=_sample_pdf(requirement.title_en, data["legal_name"]),
        )
    return members.application_submit(actor=user, application=application)


def _checked(staff: User, application: Application) -> Application:
    """Staff tick every item of the review checklist, as approval requires."""
    return members.application_update_checklist(
        actor=staff, application=application, checks=dict.fromkeys(CHECKLIST_FIELDS, True)
    )


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
            self._seed_consents(users)
            self._seed_logo_uses(users)
        self._seed_notifications(users)

        self._seed_exports(users)
        feed = self._seed_member_calendar(users)
        # Apps above this one add their demo records (the API's webhooks) by command name:
        # this app never imports them.
        if "seed_demo_integrations" in get_commands():
            call_command("seed_demo_integrations", stdout=self.stdout)
        # The apps above this one seed their own demo data; named, never imported (layering).
        call_command("seed_trust_demo", stdout=self.stdout)
        # Screening sits above compliance: its demo step is run by name, not imported.
        if apps.is_installed("screening"):
            call_command("seed_screening_demo", stdout=self.stdout)
        for email in users:
            self.stdout.write(f"  {email} / {DEMO_PASSWORD}")
        verify = absolute_url(reverse("verify:code", args=[DEMO_VERIFICATION_CODE]))
        self.stdout.write(f"  Demo certificate: {verify}")
        self.stdout.write(f"  Calendar feed of member@example.com: {feed}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    @staticmethod
    def _seed_member_calendar(users: dict[str, User]) -> str:
        member = users["member@example.com"]
        digest = calendar_token_hash(DEMO_MEMBER_FEED_TOKEN)
        if not MemberCalendarToken.objects.filter(token_hash=digest).exists():
            MemberCalendarToken.objects.filter(user=member, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            MemberCalendarToken.objects.create(user=member, token_hash=digest)
        return absolute_url(reverse("compliance:calendar_feed", args=[DEMO_MEMBER_FEED_TOKEN]))

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
            application = _prepared_application(
                users["member2@example.com"],
                {**SECOND_MEMBER, "no_owner_reason": SECOND_MEMBER_NO_OWNER_REASON},
                SECOND_MEMBER_PEOPLE,
            )
            members.application_start_review(actor=staff, application=application)
            _checked(staff, application)
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
            # The response comes with a document, shown to the decider on the decision form.
            compliance.case_add_response_document(
                actor=users["member2@example.com"],
                case=case,
                uploaded_file=_sample_pdf("Attestation plan", second.legal_name),
            )
            compliance.case_respond(
                actor=users["member2@example.com"],
                case=case,
                response="Our compliance officer left in spring; the attestation will follow "
                "within two weeks. We ask for a warning rather than a suspension.",
            )
            _bounced_copy(case)
        self._seed_review_round_two(users, second)

    @staticmethod
    def _seed_review_round_two(users: dict[str, User], second: Member) -> None:
        """Northern Lights' attestation, sent back once and resubmitted: it waits on the staff
        review screen with round 1's notes beside the two answers changed since."""
        if second.review_cycles.exists():
            return
        staff, signatory = users["staff@example.com"], users["member2@example.com"]
        cycle = compliance.cycle_open(actor=staff, member=second, kind=CycleKind.PERIODIC)
        pdf = _sample_pdf("Evidence", second.legal_name).read()
        answers = {a.criterion.code: a for a in cycle.answers.select_related("criterion")}
        for code, answer in answers.items():
            compliance.answer_save(
                actor=signatory,
                cycle=cycle,
                criterion=answer.criterion,
                answer=AnswerChoice.COMPLIANT,
                explanation="",
            )
            upload = (
                SimpleUploadedFile("warehouse-signage.png", _sample_png(), "image/png")
                if code == "3.3"
                else SimpleUploadedFile(f"evidence-{code}.pdf", pdf, "application/pdf")
            )
            compliance.evidence_add(
                actor=signatory, cycle=cycle, criterion=answer.criterion, uploaded_file=upload
            )
        compliance.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="Nadia Member", declared=True
        )
        compliance.cycle_start_review(actor=staff, cycle=cycle)
        notes = {
            "2.2": "Send the anti-bribery training records, not only the policy.",
            "3.3": "A photo of signage is not a health and safety policy; send the policy.",
        }
        for code, note in notes.items():
            compliance.answer_note(actor=staff, answer=answers[code], note=note)
        compliance.cycle_request_changes(
            actor=staff, cycle=cycle, note="Two criteria need more evidence; see the notes."
        )
        changes = {
            "2.2": (AnswerChoice.COMPLIANT, "Training records for 2025 are attached."),
            "3.3": (
                AnswerChoice.PARTIAL,
                "The policy is being revised; the draft is attached, adoption is due next month.",
            ),
        }
        for code, (choice, explanation) in changes.items():
            compliance.answer_save(
                actor=signatory,
                cycle=cycle,
                criterion=answers[code].criterion,
                answer=choice,
                explanation=explanation,
            )
            compliance.evidence_add(
                actor=signatory,
                cycle=cycle,
                criterion=answers[code].criterion,
                uploaded_file=SimpleUploadedFile(f"evidence-{code}-2026.pdf", pdf),
            )
        compliance.cycle_submit(
            actor=signatory, cycle=cycle, typed_name="Nadia Member", declared=True
        )

    @staticmethod
    def _seed_consents(users: dict[str, User]) -> None:
        """The member-side demo users consented to the processing of their personal data at
        sign-up (staff and the auditor are provisioned by staff, not signed up)."""
        for email in DEMO_CONSENTING:
            user = users[email]
            if DataConsent.objects.filter(user=user, withdrawn_at__isnull=True).exists():
                continue
            with translation.override(user.language):
                members.consent_give(actor=user, request=None)

    @staticmethod
    def _seed_logo_uses(users: dict[str, User]) -> None:
        """Demo Diamonds has downloaded the logo kit, has an approved use of the logo (its
        members see it on the logo page) and one waiting for staff ("Logo uses to approve" on
        the staff home)."""
        demo = Member.objects.get(legal_name=DEMO_MEMBER["legal_name"])
        if LogoUse.objects.filter(member=demo).exists():
            return
        # The signatory downloaded the kit once, accepting its rules (staff see the record).
        licensing.logo_kit_download(
            actor=users["member@example.com"],
            licence=demo.licences.get(status="active"),
            rules_accepted=True,
        )
        today = timezone.localdate()
        approved = logo_uses.logo_use_submit(
            actor=users["member@example.com"],
            member=demo,
            artwork=SimpleUploadedFile("gift-box.png", _sample_png(), content_type="image/png"),
            medium=LogoUseMedium.PACKAGING,
            markets="UAE, India",
            starts_on=today - timedelta(days=20),
            ends_on=today + timedelta(days=345),
            description="The dark logo on the lid of our polished-diamond gift boxes, 30 mm wide.",
        )
        if approved is None:  # the scanner took the sample for malware
            raise CommandError("The demo artwork was quarantined.")
        logo_uses.logo_use_approve(
            actor=users["staff@example.com"],
            use=approved,
            comments="Approved as shown. Keep the clear space around the logo.",
        )
        logo_uses.logo_use_submit(
            actor=users["officer@example.com"],
            member=demo,
            artwork=_sample_pdf("Website banner", str(DEMO_MEMBER["legal_name"])),
            medium=LogoUseMedium.WEBSITE,
            markets="Worldwide online",
            starts_on=today + timedelta(days=7),
            ends_on=today + timedelta(days=372),
            description="The white logo in the footer of demo-diamonds.example.com, linking to our "
            "page in the register.",
        )

    @staticmethod
    def _seed_notifications(users: dict[str, User]) -> None:
        """Every demo login has something in its notification list (the demo's own messages
        put them there; a database seeded before the list existed gets one entry each), and
        officer@ reads the non-legal ones in a daily digest."""
        users["officer@example.com"].email_delivery = DAILY
        users["officer@example.com"].save(update_fields=["email_delivery"])
        home = {
            "auditor@example.com": reverse("auditor:members"),
            "member@example.com": reverse("compliance:certificates"),
        }
        for email, user in users.items():
            if Notification.objects.filter(user=user).exists():
                continue
            with translation.override(user.language):
                subject = gettext("Welcome to the ALROSA ALLIANCE portal")
            Notification.objects.create(
                user=user,
                template="demo_welcome",
                subject=subject,
                link=absolute_url(home.get(email, reverse("dashboard"))),
            )

    @staticmethod
    def _seed_evidence_library(users: dict[str, User], demo: Member) -> None:
        """This year's attestation reuses one policy for two criteria from the evidence
        library, and the auditor's grant of the demo member is in force."""
        current = demo.review_cycles.filter(status__in=OPEN_CYCLE_STATUSES).first()
        if current is not None and current.is_answerable:
            links = AnswerEvidence.objects.filter(answer__cycle=current)
            if not links.exists():
                first, second = current.answers.select_related("criterion")[:2]
                officer = users["officer@example.com"]
                policy = compliance.evidence_add(
                    actor=officer,
                    cycle=current,
                    criterion=first.criterion,
                    uploaded_file=_sample_pdf("Responsible sourcing policy", demo.legal_name),
                )
                if policy is not None:
                    compliance.evidence_attach(
                        actor=officer,
                        cycle=current,
                        criterion=second.criterion,
                        document=policy.document,
                    )
        auditor = users["auditor@example.com"]
        if not AuditorGrant.objects.filter(
            auditor=auditor, member=demo, expires_on__gte=timezone.localdate()
        ).exists():
            compliance.auditor_grant_save(
                actor=users["staff@example.com"],
                grant=AuditorGrant(
                    auditor=auditor,
                    member=demo,
                    expires_on=timezone.localdate() + timedelta(days=365),
                ),
            )

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
            application = _prepared_application(
                users["member@example.com"], DEMO_MEMBER, DEMO_MEMBER_PEOPLE
            )
            members.application_start_review(actor=staff, application=application)
            _checked(staff, application)
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
        self._seed_evidence_library(users, demo)
        # This year's review offers last year's answers to keep; one document has expired.
        past = demo.review_cycles.filter(status=CycleStatus.ACCEPTED).order_by("pk").first()
        if past is not None:
            seed_expired_evidence(past)
        seed_third_edition(staff)
        self._seed_document_validity(demo)

        applicant = users["applicant@example.com"]
        if not Application.objects.filter(applicant=applicant).exists():
            application = _prepared_application(applicant, DEMO_APPLICANT, DEMO_APPLICANT_PEOPLE)
            members.application_start_review(actor=staff, application=application)
        self._seed_workbench_queues(users)
        self._seed_people_change(users)

    @staticmethod
    def _seed_people_change(users: dict[str, User]) -> None:
        """Demo Diamonds' compliance officer records that an owner moved: a change waiting in
        the staff's "Key people changes to review" queue (once: a later run finds it)."""
        demo = Member.objects.get(legal_name=DEMO_MEMBER["legal_name"])
        if KeyPerson.objects.filter(member=demo, replaces__isnull=False).exists():
            return
        owner = KeyPerson.objects.filter(
            member=demo, ended_at__isnull=True, name_latin="Elena Viktorovna Markova"
        ).first()
        if owner is not None:
            members.key_person_change(
                actor=users["officer@example.com"],
                person=owner,
                data={"country_of_residence": "AE"},
            )

    @staticmethod
    def _seed_document_validity(demo: Member) -> None:
        """Demo Diamonds' application documents get their dates: the KP registration expires
        in 20 days (its 30-day reminder goes out), the AML/KYC policy expired 5 days ago (within
        the grace period: "update required"), the others are valid. Only dates not yet set."""
        today = timezone.localdate()
        dates = {
            "kp-registration": (today - timedelta(days=345), today + timedelta(days=20)),
            "aml-kyc-policy": (today - timedelta(days=735), today - timedelta(days=5)),
        }
        for link in current_member_documents().filter(member=demo).select_related("requirement"):
            requirement = link.requirement
            if not requirement.expires:
                continue
            issued, expires = dates.get(requirement.code, (today - timedelta(days=30), None))
            if expires is None:
                expires = default_expiry(issued, requirement.validity_months or 12)
            Document.objects.filter(pk=link.document_id, expires_on__isnull=True).update(
                issued_on=issued, expires_on=expires
            )
        compliance.document_validity_check()

    def _seed_workbench_queues(self, users: dict[str, User]) -> None:
        """Give every queue of the staff home at least one item, filling only the empty ones
        (so it is idempotent and leaves what other demo steps made)."""
        staff, today = users["staff@example.com"], timezone.localdate()
        demo = Member.objects.get(legal_name=DEMO_MEMBER["legal_name"])
        second = Member.objects.get(legal_name=SECOND_MEMBER["legal_name"])
        # The applicant's application has waited 24 days: amber on the home.
        pending = Application.objects.filter(
            applicant=users["applicant@example.com"], status="under_review"
        ).first()
        if pending is not None and pending.submitted_at and pending.review_extended_until is None:
            aged = timezone.now() - timedelta(days=24)
            if pending.submitted_at > aged:
                Application.objects.filter(pk=pending.pk).update(
                    submitted_at=aged, review_started_at=aged + timedelta(days=2)
                )
        # Northern Lights sent the attestation its case was about: a submission to review.
        if not ReviewCycle.objects.filter(status=CycleStatus.SUBMITTED).exists() and (
            not second.review_cycles.filter(status__in=OPEN_CYCLE_STATUSES).exists()
        ):
            cycle = compliance.cycle_open(actor=staff, member=second, kind=CycleKind.PERIODIC)
            for answer in cycle.answers.select_related("criterion"):
                compliance.answer_save(
                    actor=users["member2@example.com"],
                    cycle=cycle,
                    criterion=answer.criterion,
                    answer=AnswerChoice.NOT_APPLICABLE,
                    explanation="Covered by our group policy; see the attached group report.",
                )
            compliance.cycle_submit(
                actor=users["member2@example.com"],
                cycle=cycle,
                typed_name="Nadia Member",
                declared=True,
            )
        # This year's review of Demo Diamonds is late.
        if not ReviewCycle.objects.filter(
            status__in=[CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED], due_on__lt=today
        ).exists():
            ReviewCycle.objects.filter(
                member=demo, status__in=[CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED]
            ).update(due_on=today - timedelta(days=5))
        past = demo.review_cycles.filter(status=CycleStatus.ACCEPTED).first()
        if past is not None:
            self._seed_demo_findings(users, past)
            if past.certificates.count() < 2:
                # A re-issue whose rendering failed: pending, its task given up in the outbox.
                certificate = certificate_pending_create(cycle=past)
                if certificate is not None:
                    certificate_pending_record(certificate=certificate, actor=staff)
                    OutboxMessage.objects.filter(
                        kind=OutboxMessage.Kind.TASK,
                        status=OutboxMessage.Status.PENDING,
                        task_args=[certificate.pk],
                    ).update(
                        status=OutboxMessage.Status.FAILED,
                        attempts=1,
                        failed_at=timezone.now(),
                        last_error="the PDF renderer stopped (demo)",
                    )

    @staticmethod
    def _seed_demo_findings(users: dict[str, User], past: ReviewCycle) -> None:
        """A corrective action awaiting verification and a finding past its due date."""
        staff, officer = users["staff@example.com"], users["officer@example.com"]
        answers = {a.criterion.code: a.criterion for a in past.answers.select_related("criterion")}
        if not Finding.objects.filter(status=FindingStatus.ACTION_SUBMITTED).exists():
            finding = compliance.finding_raise(
                actor=staff,
                cycle=past,
                criterion=answers.get("3.3"),
                severity=Severity.OBSERVATION,
                description="The health and safety training records stop in March.",
                corrective_action="Send the training records for April to June.",
                due_on=timezone.localdate() + timedelta(days=30),
            )
            compliance.finding_submit_action(
                actor=officer,
                finding=finding,
                action_taken="The records for April to June are attached to this answer.",
            )
        if not Finding.objects.filter(
            status=FindingStatus.OPEN, due_on__lt=timezone.localdate()
        ).exists():
            finding = compliance.finding_raise(
                actor=staff,
                cycle=past,
                criterion=answers.get("4.1"),
                severity=Severity.MINOR,
                description="No environmental risk assessment for the cutting works.",
                corrective_action="Carry out and send the environmental risk assessment.",
                due_on=timezone.localdate() + timedelta(days=1),
            )
            Finding.objects.filter(pk=finding.pk).update(
                due_on=timezone.localdate() - timedelta(days=7),
                raised_at=timezone.now() - timedelta(days=60),
            )
