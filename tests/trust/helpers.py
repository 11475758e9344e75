import time
from datetime import timedelta

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents import document_store_generated
from compliance import services as compliance
from compliance.models import CaseStatus, CertificateStatus, ComplianceCertificate, ForfeitureCase
from members.models import Membership, Role
from tests.factories import MemberFactory, UserFactory, cycle_for, decider, licence_in
from tests.files import pdf_bytes
from trust.forms import RENDERED_AT_SALT


def listed_member(consent=True, **licence_fields):
    """A member with a signatory and an active licence; listed in the register if it consents."""
    member = MemberFactory(public_listing_consent=consent)
    Membership.objects.create(member=member, user=UserFactory(), role=Role.SIGNATORY)
    licence = licence_in("active", member=member, **licence_fields)
    return member, licence


def certificate_for(licence, status=CertificateStatus.ISSUED, days_left=300):
    cycle = cycle_for("accepted", licence=licence)
    today = timezone.localdate()
    count = ComplianceCertificate.objects.count()
    return ComplianceCertificate.objects.create(
        number=f"ACC-T-{count:05d}",
        verification_code=f"trust-code-{count:05d}-" + "x" * 20,
        cycle=cycle,
        member=licence.member,
        licence=licence,
        outcome="compliant",
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=days_left),
        status=status,
        issued_at=timezone.now(),
        pdf=document_store_generated(
            name="certificate.pdf", content=pdf_bytes(), content_type="application/pdf"
        ),
    )


def decide_case(case, decision="suspension", reasons="Logo on unlicensed goods; see file 7."):
    """Decide a case through compliance's decision service (by a decision maker who did not
    open it), after its response window closed."""
    ForfeitureCase.objects.filter(pk=case.pk).update(status=CaseStatus.WINDOW_CLOSED)
    case.refresh_from_db()
    return compliance.case_decide(actor=decider(), case=case, decision=decision, reasons=reasons)


def rendered_at(seconds_ago: float = 60) -> str:
    """The signed render time a form shown ``seconds_ago`` carries."""
    return signing.dumps(time.time() - seconds_ago, salt=RENDERED_AT_SALT)


def report_data(**fields):
    data = {
        "category": "logo_rules",
        "description": "The logo is on a shop window in Antwerp.",
        "email": "",
        "website": "",
        "rendered_at": rendered_at(),
    }
    data.update(fields)
    return data


def post_report(client, files=(), **fields):
    """Send the public report form as a browser does (multipart, with files)."""
    extra = {k: fields.pop(k) for k in list(fields) if k.isupper()}  # REMOTE_ADDR and such
    data = report_data(**fields)
    if files:
        data["evidence"] = list(files)
    return client.post(reverse("trust:report"), data, **extra)
