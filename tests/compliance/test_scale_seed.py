"""``scale_seed`` makes members with a whole history in bulk, and the audit chain stays valid."""

from io import StringIO

import pytest
from django.core.management import call_command

from alliance_portal.audit import audit_chain_verify, audit_record
from alliance_portal.models import AuditEvent
from compliance.models import Answer, ComplianceCertificate, Finding, ReviewCycle
from licensing.models import Criterion, LicenceAgreement
from licensing.selectors import public_register
from members.models import Member, Membership
from tests.factories import UserFactory


def seed(count, *args, **options):
    call_command("scale_seed", count, *args, stdout=StringIO(), **options)


@pytest.mark.django_db
def test_members_with_their_history_and_a_valid_chain(staff_user):
    audit_record(actor=UserFactory(), action="before.seed")  # it continues an existing chain
    seed(30, batch=7, events_per_member=5)
    members = Member.objects.filter(registration_number__startswith="SCALE-")
    assert members.count() == 30
    assert Membership.objects.filter(member__in=members).count() == 30
    assert LicenceAgreement.objects.filter(member__in=members).count() == 30
    cycles = ReviewCycle.objects.filter(member__in=members, status="accepted")
    assert cycles.count() == 30
    edition_criteria = Criterion.objects.filter(
        section__version=cycles.first().licence.guidelines
    ).count()
    assert Answer.objects.filter(cycle__in=cycles).count() == 30 * edition_criteria
    assert ComplianceCertificate.objects.filter(member__in=members, status="issued").count() == 30
    assert Finding.objects.filter(cycle__in=cycles).count() == 3
    assert AuditEvent.objects.count() == 1 + 30 * 5
    report = audit_chain_verify()
    assert report.ok and report.checked == 151
    listed = public_register().filter(member__in=members).count()
    assert 15 < listed < 30  # most, not all: some declined, some suspended or expired
    audit_record(actor=staff_user, action="after.seed")  # and the services go on after it
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_up_to_makes_only_what_is_missing():
    seed(5)
    seed(8, "--up-to")
    seed(8, "--up-to")
    assert Member.objects.filter(registration_number__startswith="SCALE-").count() == 8
    assert audit_chain_verify().ok
