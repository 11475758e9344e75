"""Two member companies with a licence, a decided cycle and a certificate each; tokens."""

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from api import services
from compliance.models import CertificateStatus, ComplianceCertificate, Finding
from tests.factories import UserFactory, cycle_for, licence_in, signatory_of


@dataclass
class Company:
    member: object
    signatory: object
    licence: object
    cycle: object
    certificate: object


def company(number: int) -> Company:
    licence = licence_in("active")
    cycle = cycle_for("accepted", licence=licence)
    today = timezone.localdate()
    certificate = ComplianceCertificate.objects.create(
        number=f"AAC-2026-{number:04d}",
        verification_code=f"code{number}" + "x" * 28,
        cycle=cycle,
        member=licence.member,
        licence=licence,
        outcome="compliant",
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=300),
        status=CertificateStatus.EXPIRED,
        ended_at=timezone.now(),
    )
    return Company(licence.member, signatory_of(licence.member), licence, cycle, certificate)


@pytest.fixture
def company_a(db) -> Company:
    return company(1)


@pytest.fixture
def company_b(db) -> Company:
    return company(2)


@pytest.fixture
def finding_b(company_b, staff_user) -> Finding:
    return Finding.objects.create(
        cycle=company_b.cycle,
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() + datetime.timedelta(days=9),
        raised_by=staff_user,
    )


def service_account(user):
    user.set_unusable_password()
    user.save()
    return user


def make_token(user, scope="read", days=30, actor=None) -> str:
    _token, secret = services.token_create(
        actor=actor or user,
        user=user,
        name=f"{scope} token",
        scope=scope,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return secret


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def member_a(company_a) -> Client:
    """A read token of company A's signatory."""
    return bearer(make_token(company_a.signatory))


@pytest.fixture
def staff(staff_user) -> Client:
    return bearer(make_token(staff_user, "write"))


@pytest.fixture
def staff_reader(staff_user) -> Client:
    return bearer(make_token(staff_user, "read"))


@pytest.fixture
def bare_staff(db) -> Client:
    """A staff service account in no group: no model permission at all."""
    user = service_account(UserFactory(staff=True, groups=["no such group"]))
    return bearer(make_token(user, "write", actor=UserFactory(staff=True)))
