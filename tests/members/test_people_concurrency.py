"""Two people changing the same owner at once (PostgreSQL): one change wins, the other is
told the record changed meanwhile; the history never forks."""

from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest

from alliance_portal.states import IllegalTransition
from members import services
from members.models import KeyPerson, Membership, PersonReview, Role
from members.services import people as people_services
from tests.concurrency import monitor_connection, race
from tests.factories import UserFactory, key_person, member_with

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def monitor() -> Iterator[psycopg.Connection]:
    with monitor_connection() as conn:
        yield conn


@pytest.fixture
def no_relay(settings):
    settings.ALLIANCE_OUTBOX_INLINE = False


def test_two_changes_of_one_person_at_once_make_one_version(reference_data, no_relay, monitor):
    member, signatory = member_with(Role.SIGNATORY)
    officer = UserFactory()
    Membership.objects.create(member=member, user=officer, role=Role.COMPLIANCE_OFFICER)
    owner = key_person(member=member, review_status=PersonReview.ACCEPTED)
    real_checked = people_services._checked

    def first(pause):
        def checked(person):
            pause()  # the member and the person are locked: the other change waits
            return real_checked(person)

        with mock.patch.object(people_services, "_checked", checked):
            services.key_person_change(
                actor=signatory, person=owner, data={"ownership_percent": 70}
            )

    def second():
        services.key_person_change(actor=officer, person=owner, data={"ownership_percent": 30})

    errors = race(first, second, monitor)
    assert len(errors) == 1 and isinstance(errors[0], IllegalTransition), errors
    (current,) = KeyPerson.objects.filter(member=member, ended_at__isnull=True)
    assert current.replaces_id == owner.pk and current.ownership_percent == 70
    assert KeyPerson.objects.filter(member=member).count() == 2
