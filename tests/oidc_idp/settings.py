"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with
OIDC on, run by the test in a second process (``manage.py runserver`` with these settings).
Its database is a SQLite file and its RS256 key a PEM file the test makes in a temporary
folder (``OIDC_IDP_DIR``)."""

import os
from pathlib import Path

_dir = Path(os.environ["OIDC_IDP_DIR"])

SECRET_KEY = "test-idp-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.oidc_idp.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(_dir / "idp.sqlite3")}}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth"]},
    }
]
LOGIN_URL = "/login/"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": (_dir / "rsa.pem").read_text() if (_dir / "rsa.pem").exists() else "",
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_idp.validator.Validator",
    "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "E-mail"},
    "PKCE_REQUIRED": True,
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
