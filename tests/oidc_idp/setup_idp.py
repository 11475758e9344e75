"""Run once with the IdP settings (after ``migrate``): the portal's client and the people."""

import sys

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

client_id, secret, redirect_uri = sys.argv[1:4]
Application.objects.create(
    name="ALROSA ALLIANCE",
    client_id=client_id,
    client_secret=secret,
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=redirect_uri,
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=True,
)
people = {
    # username: (groups at the provider, amr)
    "olga": (["alliance-staff", "it-all"], "pwd,mfa"),
    "pavel": (["alliance-staff"], "pwd"),
    "nina": (["it-all"], "pwd,mfa"),
}
for username, (groups, amr) in people.items():
    user = User.objects.create_user(username, f"{username}@corp.example.com", last_name=amr)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
