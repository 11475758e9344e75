import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group

from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from members.models import User

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
