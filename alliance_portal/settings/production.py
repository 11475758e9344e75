"""Production: refuses to start without its secrets and services.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL, REDIS_URL,
and an upload scanner (ANTIVIRUS=clamd) unless ALLIANCE_ACCEPT_UNSCANNED_UPLOADS=true.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLIANCE_ANTIVIRUS_BACKEND, DATABASES, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names.")
# DATABASE_URL has a SQLite default in base; production must name its database.
DATABASES["default"] = {**DATABASES["default"], **env.db_url("DATABASE_URL")}
# Real workers and one cache shared by every process (rate limits must hold across them).
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
# E-mails and tasks leave through `manage.py outbox_relay`, never from a request.
ALLIANCE_OUTBOX_INLINE = False
REDIS_URL = env("REDIS_URL")
# Webhooks go to public receivers only (no calls into the portal's own network).
ALLIANCE_WEBHOOK_ALLOW_PRIVATE = env.bool("ALLIANCE_WEBHOOK_ALLOW_PRIVATE", default=False)
# CACHES comes from base, built from this same REDIS_URL: Redis, with the in-process fallback
# while it is down (alliance_portal/cache.py).
# Staff and auditors always need two-factor authentication here; only local settings relax it.
ALLIANCE_REQUIRE_MFA = True
# Members upload documents that staff open: without a scanner they arrive unchecked. That is a
# decision an operator must write down, not a default.
ALLIANCE_ACCEPT_UNSCANNED_UPLOADS = env.bool("ALLIANCE_ACCEPT_UNSCANNED_UPLOADS", default=False)
_no_scanner = ALLIANCE_ANTIVIRUS_BACKEND == "alliance_portal.documents.antivirus.NoScanner"
if _no_scanner and not ALLIANCE_ACCEPT_UNSCANNED_UPLOADS:
    raise ImproperlyConfigured(
        "Uploads are not scanned: set ANTIVIRUS=clamd (and CLAMD_ADDRESS), or "
        "ALLIANCE_ACCEPT_UNSCANNED_UPLOADS=true to accept unscanned uploads."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
