import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.utils import timezone

from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from members.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    DocumentRequirement,
    KeyPerson,
    Member,
    Membership,
    PersonRole,
    RiskRating,
    Role,
    User,
)

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    class Params:
        staff = factory.Trait(is_staff=True)

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        """Enrol TOTP, as staff and auditors must before they open their areas.

        Staff are enrolled unless the test passes ``mfa=False``.
        """
        if create and (extracted or (extracted is None and self.is_staff)):
            TOTP.activate(self, generate_totp_secret())

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create and self.is_staff and not extracted:
            self.groups.add(Group.objects.get(name=STAFF_GROUP))


def decider(**kwargs):
    return UserFactory(staff=True, groups=[STAFF_GROUP, DECISION_MAKERS_GROUP], **kwargs)


def auditor(**kwargs):
    return UserFactory(groups=[AUDITORS_GROUP], mfa=True, **kwargs)


class MemberFactory(factory.django.DjangoModelFactory[Member]):
    class Meta:
        model = Member

    legal_name = factory.Sequence(lambda n: f"Company {n} Ltd")
    registration_number = factory.Sequence(lambda n: f"REG-{n:05d}")
    country = "BE"
    address = "1 Diamond Street, Antwerp"
    kp_registration = factory.Sequence(lambda n: f"KP-{n:04d}")
    contract_reference = factory.Sequence(lambda n: f"LTC-{n:04d}")
    risk_rating = RiskRating.MEDIUM
    approved_at = factory.LazyFunction(timezone.now)


def member_with(role=Role.SIGNATORY, **user_kwargs):
    """A member company and one user of it in the given role: (member, user)."""
    member = MemberFactory()
    user = UserFactory(**user_kwargs)
    Membership.objects.create(member=member, user=user, role=role)
    return member, user


COMPLETE_APPLICATION = {
    "legal_name": "Arctic Rough Ltd",
    "registration_number": "AR-123",
    "country": "BE",
    "address": "1 Diamond Street, Antwerp",
    "kp_registration": "KP-BE-1",
    "contract_reference": "LTC-1",
    "is_long_term_client": True,
    "trades_only_kp_certified": True,
    "free_of_sanctions": True,
    "accepts_guidelines": True,
}


# Every item of the staff's review checklist ticked, as approval requires.
CHECKLIST_DONE = {
    "check_identity": True,
    "check_kp": True,
    "check_sanctions": True,
    "check_financials": True,
    "check_aml": True,
}


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    class Meta:
        model = Application

    applicant = factory.SubFactory(UserFactory)


def key_person(*, application=None, member=None, **fields):
    """A current owner (by default) of an application or a member."""
    values = {
        "role": PersonRole.OWNER,
        "name": "Jan Peeters",
        "date_of_birth": "1970-05-01",
        "nationality": "BE",
        "country_of_residence": "BE",
        "ownership_percent": 60,
        **fields,
    }
    return KeyPerson.objects.create(application=application, member=member, **values)


def application_people(application):
    """The people a submittable application needs: an owner and a director."""
    owner = key_person(application=application)
    director = key_person(
        application=application,
        role=PersonRole.DIRECTOR,
        name="Marie Dubois",
        ownership_percent=None,
    )
    return owner, director


def complete_application(applicant=None, status=ApplicationStatus.DRAFT, **data):
    """An application with every field and every required document, put in `status`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from alliance_portal.documents import document_store
    from tests.files import pdf_bytes

    applicant = applicant or UserFactory()
    application = Application.objects.create(
        applicant=applicant, **{**COMPLETE_APPLICATION, **data}
    )
    for requirement in DocumentRequirement.objects.filter(active=True, required=True):
        document = document_store(
            actor=applicant,
            uploaded_file=SimpleUploadedFile(f"{requirement.code}.pdf", pdf_bytes()),
        )
        ApplicationDocument.objects.create(
            application=application, requirement=requirement, document=document
        )
    # Submission needs a beneficial owner and a director or signatory.
    application_people(application)
    if status != ApplicationStatus.DRAFT:
        submitted = timezone.now()
        member = None
        if status == ApplicationStatus.APPROVED:
            member = MemberFactory(legal_name=application.legal_name)
            Membership.objects.create(member=member, user=applicant, role=Role.SIGNATORY)
        Application.objects.filter(pk=application.pk).update(
            status=status, submitted_at=submitted, member=member
        )
        application.refresh_from_db()
    return application


def licence_in(status="issued", member=None, **fields):
    """A licence of `member` (made with a signatory if not given) put directly in `status`."""
    from datetime import timedelta

    from licensing.models import AgreementTemplate, GuidelinesVersion, LicenceAgreement

    if member is None:
        member, _signatory = member_with(Role.SIGNATORY)
    values = {
        "member": member,
        "template": AgreementTemplate.objects.get(version=1),
        "guidelines": GuidelinesVersion.objects.get(edition="2nd edition"),
        "status": status,
    }
    if status != "draft":
        values["number"] = f"AA-2026-{LicenceAgreement.objects.count() + 9000:04d}"
    if status in ("active", "suspended", "expired", "forfeited", "terminated"):
        today = timezone.localdate()
        values.update(starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=1000))
    values.update(fields)
    return LicenceAgreement.objects.create(**values)


def signatory_of(member):
    return member.memberships.get(role=Role.SIGNATORY).user


def cycle_for(status="open", licence=None, **fields):
    """A review cycle with an empty answer per criterion, put directly in `status`."""
    from datetime import timedelta

    from compliance.models import Answer, ReviewCycle
    from licensing.models import Criterion

    licence = licence or licence_in("active")
    cycle = ReviewCycle.objects.create(
        member=licence.member,
        licence=licence,
        guidelines_id=licence.guidelines_id,
        kind="periodic",
        status=status,
        due_on=timezone.localdate() + timedelta(days=30),
        outcome="compliant" if status in ("accepted", "rejected") else "",
        **fields,
    )
    Answer.objects.bulk_create(
        Answer(cycle=cycle, criterion=c)
        for c in Criterion.objects.filter(section__version=licence.guidelines_id)
    )
    return cycle


def answer_everything(cycle, actor):
    """Answer every criterion "not applicable" with an explanation (no evidence needed)."""
    from compliance import services

    for answer in cycle.answers.select_related("criterion"):
        services.answer_save(
            actor=actor,
            cycle=cycle,
            criterion=answer.criterion,
            answer="not_applicable",
            explanation="Not part of our business.",
        )
