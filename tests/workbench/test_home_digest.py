"""The daily staff digest leads to the staff home."""

import pytest
from django.urls import reverse

from alliance_portal.emails import absolute_url
from alliance_portal.models import OutboxMessage
from compliance.services.jobs import staff_digest_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_digest_links_to_the_home():
    staff = UserFactory(staff=True)
    assert staff_digest_send()
    mail = OutboxMessage.objects.get(template="staff_digest", recipient=staff.email)
    home = absolute_url(reverse("admin:index"))
    assert (
        f"Open the staff home: every queue, its oldest item and its list: {home}" in mail.body_text
    )
    assert f'href="{home}"' in mail.body_html
