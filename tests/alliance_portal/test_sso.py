"""Single sign-on for staff against a real OpenID Connect provider: django-oauth-toolkit with
OIDC and an RS256 key made here, run in a second process on loopback. The portal talks to it
over HTTP exactly as to a company's provider (discovery, authorize, token, JWKS, userinfo)."""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group
from django.urls import reverse

from alliance_portal.models import AuditEvent
from alliance_portal.roles import STAFF_GROUP
from members.models import User
from tests.servers import LOCALHOST, free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "alliance-portal"
CLIENT_SECRET = "portal-secret-for-the-test-idp"
CALLBACK = "http://testserver/accounts/oidc/staff/login/callback/"


@dataclass
class Idp:
    base: str
    folder: Path

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    def drop_group(self, username: str, group: str) -> None:
        """The provider's administrator takes someone out of a group."""
        with sqlite3.connect(self.folder / "idp.sqlite3") as db:
            db.execute(
                "DELETE FROM auth_user_groups WHERE user_id = "
                "(SELECT id FROM auth_user WHERE username = ?) AND group_id = "
                "(SELECT id FROM auth_group WHERE name = ?)",
                (username, group),
            )


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    folder = tmp_path_factory.mktemp("oidc-idp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "rsa.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings",
        "OIDC_IDP_DIR": str(folder),
        "PYTHONPATH": str(ROOT),
    }
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], **run)  # type: ignore[call-overload]
    subprocess.run(  # type: ignore[call-overload]
        [sys.executable, "tests/oidc_idp/setup_idp.py", CLIENT_ID, CLIENT_SECRET, CALLBACK], **run
    )
    port = free_port()
    log = (folder / "idp.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"{LOCALHOST}:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{LOCALHOST}:{port}"
    try:
        for _attempt in range(100):
            try:
                if requests.get(f"{base}/o/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the test provider did not start: " + (folder / "idp.log").read_text())
        yield Idp(base, folder)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def sso(settings, idp: Idp) -> Idp:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "staff",
                    "name": "Corp sign-in",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": idp.issuer},
                }
            ],
        }
    }
    settings.ALLIANCE_OIDC_GROUPS_CLAIM = "groups"
    settings.ALLIANCE_OIDC_GROUP_MAP = {"alliance-staff": STAFF_GROUP}
    settings.ALLIANCE_REQUIRE_MFA = True
    return idp


def sign_in_through_the_provider(client, idp: Idp, username: str):
    """The browser's round trip: portal → provider (signed in there as ``username``) →
    portal's callback, which fetches the tokens from the provider itself."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "staff"}))
    assert start.status_code == 302, start.content[:500]
    authorize = start["Location"]
    assert authorize.startswith(f"{idp.issuer}/authorize/")
    assert "code_challenge=" in authorize  # PKCE
    browser = requests.Session()
    browser.get(f"{idp.base}/login/{username}/", timeout=5).raise_for_status()
    answer = browser.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:500]
    callback = answer.headers["Location"]
    assert callback.startswith(CALLBACK) and "code=" in callback
    return client.get(callback.removeprefix("http://testserver"))


@pytest.mark.django_db
def test_staff_sign_in_lands_in_the_admin_with_the_mapped_group(client, sso):
    landed = sign_in_through_the_provider(client, sso, "olga")
    assert landed.status_code == 302, landed.content[:800]
    user = User.objects.get(email="olga@corp.example.com")
    assert user.is_staff and not user.has_usable_password()
    # Only mapped values become groups: "it-all" is not the portal's business.
    assert list(user.groups.values_list("name", flat=True)) == [STAFF_GROUP]
    # The provider asserted a second factor (amr: mfa): the admin opens without TOTP here.
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 200
    assert AuditEvent.objects.filter(action="sso.groups_applied", target_id=str(user.pk)).exists()

    # The provider drops her from the group: at her next sign-in she is no longer staff.
    sso.drop_group("olga", "alliance-staff")
    client.logout()
    sign_in_through_the_provider(client, sso, "olga")
    user.refresh_from_db()
    assert not user.is_staff and not user.groups.filter(name=STAFF_GROUP).exists()
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
def test_without_a_second_factor_at_the_provider_the_portal_asks_for_one(client, sso):
    sign_in_through_the_provider(client, sso, "pavel")
    user = User.objects.get(email="pavel@corp.example.com")
    assert user.is_staff and user.groups.filter(name=STAFF_GROUP).exists()
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302
    assert admin["Location"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_someone_with_no_mapped_group_gets_no_staff_access(client, sso):
    sign_in_through_the_provider(client, sso, "nina")
    user = User.objects.get(email="nina@corp.example.com")
    assert not user.is_staff and not user.groups.exists()
    admin = client.get(reverse("admin:index"))
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]


@pytest.mark.django_db
def test_the_login_page_offers_sso_only_when_configured(client, settings, sso):
    assert "Corp sign-in" in client.get(reverse("account_login")).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Corp sign-in" not in client.get(reverse("account_login")).content.decode()
    assert Group.objects.filter(name=STAFF_GROUP).exists()
