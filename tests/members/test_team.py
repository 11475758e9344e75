"""A member's team: invitations and roles, and the rule of at least one signatory."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Invitation, Membership, Role
from tests.factories import UserFactory, member_with


def _invite(client, member, email, role=Role.COMPLIANCE_OFFICER, capture=None):
    with capture(execute=True):
        return client.post(
            reverse("portal:team_invite", args=[member.pk]), {"email": email, "role": role}
        )


def _token_from_mail() -> str:
    match = re.search(r"/portal/invitations/([^/\s]+)/", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.mark.django_db
class TestInvitations:
    def test_invite_accept_and_the_token_is_single_use_and_hashed(
        self, client, django_capture_on_commit_callbacks
    ):
        member, signatory = member_with(Role.SIGNATORY)
        client.force_login(signatory)
        response = _invite(
            client, member, "Olga@Example.org", capture=django_capture_on_commit_callbacks
        )
        assert response.status_code == 302
        token = _token_from_mail()
        invitation = Invitation.objects.get()
        assert token not in invitation.token_hash
        assert len(invitation.token_hash) == 64
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)

        olga = UserFactory(email="olga@example.org")
        client.force_login(olga)
        url = reverse("portal:invitation_accept", args=[token])
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 302
        assert Membership.objects.get(user=olga, member=member).role == Role.COMPLIANCE_OFFICER
        again = client.post(url)
        assert again.status_code == 400
        assert "already been used" in again.content.decode()
        assert Membership.objects.filter(user=olga).count() == 1

    def test_expired_wrong_person_and_unknown_tokens_are_refused(self):
        member, signatory = member_with(Role.SIGNATORY)
        invitation, token = services.invitation_create(
            actor=signatory, member=member, email="ivan@example.org", role=Role.VIEWER
        )
        with pytest.raises(ValidationError, match="another e-mail address"):
            services.invitation_accept(actor=UserFactory(), token=token)
        with pytest.raises(ValidationError, match="not valid"):
            services.invitation_accept(actor=UserFactory(email="ivan@example.org"), token="nope")
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        ivan = UserFactory(email="ivan2@example.org")
        with pytest.raises(ValidationError, match="expired"):
            services.invitation_accept(actor=ivan, token=token)
        assert not Membership.objects.filter(member=member).exclude(user=signatory).exists()

    def test_a_new_invitation_replaces_the_open_one_and_revoking_kills_it(self):
        member, signatory = member_with(Role.SIGNATORY)
        first, first_token = services.invitation_create(
            actor=signatory, member=member, email="ivan@example.org", role=Role.VIEWER
        )
        second, second_token = services.invitation_create(
            actor=signatory, member=member, email="IVAN@example.org", role=Role.SIGNATORY
        )
        first.refresh_from_db()
        assert first.revoked_at is not None
        ivan = UserFactory(email="ivan@example.org")
        with pytest.raises(ValidationError, match="not valid"):
            services.invitation_accept(actor=ivan, token=first_token)
        services.invitation_revoke(actor=signatory, invitation=second)
        with pytest.raises(ValidationError, match="not valid"):
            services.invitation_accept(actor=ivan, token=second_token)

    def test_bad_invite_input_is_a_400(self, client):
        member, signatory = member_with(Role.SIGNATORY)
        client.force_login(signatory)
        url = reverse("portal:team_invite", args=[member.pk])
        assert client.post(url, {"email": "not-an-email", "role": Role.VIEWER}).status_code == 400
        assert client.post(url, {"email": "a@example.org", "role": "owner"}).status_code == 400
        already = client.post(url, {"email": signatory.email, "role": Role.VIEWER})
        assert already.status_code == 400
        assert "already in the team" in already.content.decode()
        assert not Invitation.objects.exists()


@pytest.mark.django_db
class TestSignatories:
    def test_the_last_signatory_can_be_neither_demoted_nor_removed(self, client):
        member, signatory = member_with(Role.SIGNATORY)
        membership = Membership.objects.get(user=signatory)
        client.force_login(signatory)
        demote = client.post(
            reverse("portal:team_change_role", args=[member.pk, membership.pk]),
            {"role": Role.VIEWER},
        )
        assert demote.status_code == 400
        assert "at least one signatory" in demote.content.decode()
        remove = client.post(
            reverse("portal:team_remove", args=[member.pk, membership.pk]), {"confirm": "yes"}
        )
        assert remove.status_code == 400
        assert "at least one signatory" in remove.content.decode()
        membership.refresh_from_db()
        assert membership.role == Role.SIGNATORY

    def test_with_a_second_signatory_roles_change_and_people_leave(self, client):
        member, signatory = member_with(Role.SIGNATORY)
        other = UserFactory()
        other_membership = Membership.objects.create(member=member, user=other, role=Role.VIEWER)
        client.force_login(signatory)
        promote = client.post(
            reverse("portal:team_change_role", args=[member.pk, other_membership.pk]),
            {"role": Role.SIGNATORY},
        )
        assert promote.status_code == 302
        own = Membership.objects.get(user=signatory)
        leave = client.post(
            reverse("portal:team_remove", args=[member.pk, own.pk]), {"confirm": "yes"}
        )
        assert leave["Location"] == reverse("dashboard")
        assert list(member.memberships.values_list("user", "role")) == [(other.pk, Role.SIGNATORY)]


@pytest.mark.django_db
def test_an_address_too_long_for_the_database_is_a_400(client):
    member, signatory = member_with(Role.SIGNATORY)
    client.force_login(signatory)
    response = client.post(
        reverse("portal:team_invite", args=[member.pk]),
        {"email": "a" * 64 + "@" + "b" * 240 + ".org", "role": Role.VIEWER},
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_the_invitation_is_written_in_the_invitee_language(django_capture_on_commit_callbacks):
    member, signatory = member_with(Role.SIGNATORY, language="ru")
    UserFactory(email="anna@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            actor=signatory, member=member, email="anna@example.org", role=Role.VIEWER
        )
    [email] = mail.outbox
    assert "as Viewer." in email.body
    assert "Наблюдатель" not in email.body
