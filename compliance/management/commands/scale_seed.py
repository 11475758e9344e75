"""Make N members with a realistic history, quickly, for the benchmarks (``make bench``).

Each member gets a signatory, a licence (most active and listed in the register, some
suspended or expired), an accepted review cycle with an answer per criterion, a compliance
certificate with its PDF record (no file: pages only read the record), a finding for one in
ten, and its audit events, appended unchained and linked by the chainer after each batch as
``audit_record``'s rows are, so ``verify_audit_chain`` passes afterwards. Everything is
written with ``bulk_create`` a batch of members at a time, one transaction per batch.

    python manage.py scale_seed 10000 [--events-per-member 20] [--batch 1000] [--up-to]
"""

import hashlib
import json
import random
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from alliance_portal.audit import audit_chain_extend
from alliance_portal.models import AuditEvent, Document
from compliance.models import (
    Answer,
    AnswerChoice,
    CertificateStatus,
    ComplianceCertificate,
    CycleKind,
    CycleStatus,
    Finding,
    Grade,
    ReviewCycle,
    Severity,
)
from licensing.models import AgreementTemplate, Criterion, GuidelinesVersion, LicenceAgreement
from members.models import Member, Membership, RiskRating, Role, User

WORDS = [
    "Arctic",
    "Polar",
    "Northern",
    "Diamond",
    "Rough",
    "Crystal",
    "Brilliant",
    "Yakutian",
    "Mirny",
    "Antwerp",
    "Ramat",
    "Gan",
    "Mumbai",
    "Surat",
    "Dubai",
    "Hong",
    "Kong",
    "Stellar",
    "Prism",
    "Facet",
    "Carat",
    "Lustre",
    "Radiant",
    "Summit",
    "Aurora",
    "Meridian",
    "Tundra",
    "Glacier",
    "Boreal",
    "Sapphire",
    "Orion",
    "Vega",
    "Atlas",
    "Horizon",
    "Granite",
    "Nova",
]
SUFFIXES = ("Ltd", "LLC", "NV", "BVBA", "FZE", "Pvt Ltd", "GmbH", "SA", "Limited", "DMCC")
COUNTRIES = ("BE", "AE", "IN", "IL", "HK", "RU", "US", "GB", "CH", "CN", "TH", "AM", "BW", "ZA")
FILLER_ACTIONS = ("document.downloaded", "cycle.answer_saved", "member.updated", "auth.login")


def _payload(value: dict[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return stored


class Command(BaseCommand):
    help = "Make N members with licences, cycles, answers, findings, certificates and audit events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("members", type=int)
        parser.add_argument("--events-per-member", type=int, default=6)
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=17)
        parser.add_argument(
            "--up-to",
            action="store_true",
            help="Make only as many as needed for N members made by this command in all.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total, batch = options["members"], options["batch"]
        if total < 1 or batch < 1 or options["events_per_member"] < 4:
            raise CommandError("N and --batch must be positive, --events-per-member at least 4.")
        self.random = random.Random(options["seed"])  # noqa: S311 - names, not secrets
        self.events_per_member = options["events_per_member"]
        self.template = AgreementTemplate.objects.get(version=1)
        self.edition = GuidelinesVersion.objects.filter(published_at__isnull=False).latest(
            "adopted_on"
        )
        self.criteria = list(Criterion.objects.filter(section__version=self.edition))
        self.staff = User.objects.filter(is_staff=True).order_by("pk").first()
        # Numbers and e-mails continue after any earlier run.
        self.start = Member.objects.filter(registration_number__startswith="SCALE-").count()
        if options["up_to"]:
            total = max(0, total - self.start)
        started = time.monotonic()
        made = 0
        while made < total:
            size = min(batch, total - made)
            with transaction.atomic():
                self.batch(self.start + made, size)
            audit_chain_extend()  # the batch's events, linked as any writer's are
            made += size
            rate = made / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"{made}/{total} members ({rate:.0f}/s)")
        self.stdout.write(self.style.SUCCESS(f"Made {total} members."))

    def batch(self, first: int, size: int) -> None:
        now = timezone.now()
        today = timezone.localdate()
        numbers = range(first, first + size)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"scale{n}@scale.example",
                    full_name=f"{self.random.choice(WORDS)} Signatory {n}",
                    password="!",  # noqa: S106 - unusable: these accounts never sign in
                )
                for n in numbers
            ]
        )
        members = Member.objects.bulk_create(
            [
                Member(
                    legal_name=(
                        f"{self.random.choice(WORDS)} {self.random.choice(WORDS)} "
                        f"{n} {self.random.choice(SUFFIXES)}"
                    ),
                    registration_number=f"SCALE-{n:07d}",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    address=f"{n} Diamond Street",
                    kp_registration=f"KP-S-{n:07d}",
                    contract_reference=f"LTC-S-{n:07d}",
                    risk_rating=RiskRating.MEDIUM,
                    public_listing_consent=n % 5 != 0,
                    approved_at=now - timedelta(days=400 + n % 300),
                )
                for n in numbers
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(member=member, user=user, role=Role.SIGNATORY)
                for member, user in zip(members, users, strict=True)
            ]
        )
        licences = LicenceAgreement.objects.bulk_create(
            [
                LicenceAgreement(
                    number=f"AS-{n:08d}",
                    member=member,
                    template=self.template,
                    guidelines=self.edition,
                    status=("expired" if n % 20 == 1 else "suspended" if n % 20 == 2 else "active"),
                    issued_at=member.approved_at,
                    starts_on=(member.approved_at + timedelta(days=10)).date(),
                    ends_on=(member.approved_at + timedelta(days=10 + 3 * 365)).date(),
                    created_at=member.approved_at,
                )
                for n, member in zip(numbers, members, strict=True)
            ]
        )
        cycles = ReviewCycle.objects.bulk_create(
            [
                ReviewCycle(
                    member=licence.member,
                    licence=licence,
                    kind=CycleKind.INITIAL,
                    status=CycleStatus.ACCEPTED,
                    due_on=today - timedelta(days=60),
                    opened_at=now - timedelta(days=120),
                    outcome=Grade.COMPLIANT,
                    decided_at=now - timedelta(days=30),
                    decided_by=self.staff,
                )
                for licence in licences
            ]
        )
        Answer.objects.bulk_create(
            [
                Answer(
                    cycle=cycle,
                    criterion=criterion,
                    answer=AnswerChoice.COMPLIANT,
                    explanation="As in our policy.",
                    updated_at=cycle.opened_at,
                    updated_by=user,
                )
                for cycle, user in zip(cycles, users, strict=True)
                for criterion in self.criteria
            ],
            batch_size=5000,
        )
        if self.staff is not None:
            Finding.objects.bulk_create(
                [
                    Finding(
                        cycle=cycle,
                        criterion=self.criteria[0] if self.criteria else None,
                        severity=Severity.MINOR,
                        description="The gifts register lacks two entries.",
                        corrective_action="Complete the register.",
                        due_on=today + timedelta(days=30),
                        raised_by=self.staff,
                    )
                    for index, cycle in enumerate(cycles)
                    if (first + index) % 10 == 0
                ]
            )
        pdfs = Document.objects.bulk_create(
            [
                Document(
                    original_name=f"certificate-{n}.pdf",
                    extension="pdf",
                    content_type="application/pdf",
                    size=40_000,
                    sha256=hashlib.sha256(f"scale-certificate-{n}".encode()).hexdigest(),
                    storage_name=f"scale/{n}.pdf",
                    scan_status=Document.ScanStatus.CLEAN,
                    uploaded_at=now - timedelta(days=30),
                )
                for n in numbers
            ]
        )
        certificates = ComplianceCertificate.objects.bulk_create(
            [
                ComplianceCertificate(
                    number=f"CS-{n:08d}",
                    verification_code=hashlib.sha256(f"scale-code-{n}".encode()).hexdigest()[:32],
                    cycle=cycle,
                    member=cycle.member,
                    licence=cycle.licence,
                    outcome=Grade.COMPLIANT,
                    valid_from=today - timedelta(days=30),
                    valid_until=today + timedelta(days=335),
                    status=CertificateStatus.ISSUED,
                    issued_at=now - timedelta(days=30),
                    pdf=pdf,
                )
                for n, cycle, pdf in zip(numbers, cycles, pdfs, strict=True)
            ]
        )
        self.audit(members, users, licences, cycles, certificates)

    def audit(
        self,
        members: list[Member],
        users: list[User],
        licences: list[LicenceAgreement],
        cycles: list[ReviewCycle],
        certificates: list[ComplianceCertificate],
    ) -> None:
        """The members' events, appended unchained; the chainer links them after the commit."""
        staff_label = self.staff.get_username() if self.staff else ""
        events = []
        for member, user, licence, cycle, certificate in zip(
            members, users, licences, cycles, certificates, strict=True
        ):
            planned: list[tuple[User | None, str, Any, dict[str, Any]]] = [
                (self.staff, "application.approved", member, {"member": member.legal_name}),
                (user, "licence.signed", licence, {"typed_name": user.full_name}),
                (self.staff, "cycle.accepted", cycle, {"outcome": cycle.outcome}),
                (None, "certificate.issued", certificate, {"number": certificate.number}),
            ]
            for extra in range(self.events_per_member - len(planned)):
                action = FILLER_ACTIONS[extra % len(FILLER_ACTIONS)]
                planned.append((user, action, member, {"n": extra}))
            for actor, action, target, payload in planned:
                event = AuditEvent(
                    created_at=timezone.now(),
                    actor=actor,
                    actor_label=(
                        (staff_label if actor is self.staff else actor.get_username())
                        if actor
                        else ""
                    ),
                    action=action,
                    target_type=target._meta.label_lower,
                    target_id=str(target.pk),
                    target_label=str(target)[:255],
                    payload=_payload(payload),
                    ip=None,
                )
                events.append(event)
        AuditEvent.objects.bulk_create(events, batch_size=5000)
