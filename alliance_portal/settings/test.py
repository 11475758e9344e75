"""Settings for the test suite. Uses DATABASE_URL, CELERY_BROKER_URL and REDIS_URL when set."""

import os
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("ACCOUNT_EMAIL_VERIFICATION", "optional")

from .base import *  # noqa: F403
from .base import BASE_DIR, CACHES, REDIS_URL, env

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "test-private")
# A self-signed pair made at the start of the test session (tests/conftest.py).
ALLIANCE_SIGNING_KEY = env(
    "ALLIANCE_SIGNING_KEY", default=str(BASE_DIR / "var" / "test-signing" / "key.pem")
)
ALLIANCE_SIGNING_CERT = env(
    "ALLIANCE_SIGNING_CERT", default=str(BASE_DIR / "var" / "test-signing" / "cert.pem")
)
# Tests call tasks eagerly unless they start a real worker themselves.
CELERY_TASK_ALWAYS_EAGER = True
# ... and the outbox is relayed right after each commit (tests that start a relay process
# of their own set it off there).
ALLIANCE_OUTBOX_INLINE = True
# Nothing is collected in tests; WhiteNoise serves from the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

if REDIS_URL:
    # The Redis in REDIS_URL may be shared with other programs: the suite's keys carry a prefix
    # of this run's own, so that emptying the cache between tests (tests/conftest.py) deletes
    # them only, never the whole database. Processes the run starts (xdist workers, a real
    # Celery worker) inherit the run's id; each xdist worker has keys of its own.
    _run = os.environ.setdefault("ALLIANCE_TEST_CACHE_RUN", uuid.uuid4().hex[:12])
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    CACHES["default"]["KEY_PREFIX"] = f"test-{_run}-{_worker}"
