"""Local development and the demo: `make run`.

With nothing in the environment this runs on SQLite with Celery tasks executed eagerly.
"""

import os
from pathlib import Path

import environ

# A developer may keep local variables in .env at the repository root (never in production,
# where the process environment is the only source).
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env", overwrite=False)
# Only this module may invent a key, and only for a development machine.
os.environ.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-secret")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("ALLIANCE_REQUIRE_MFA", "false")
os.environ.setdefault("ACCOUNT_EMAIL_VERIFICATION", "optional")
# Links in e-mails and the QR code on certificates point where `make run` serves (PORT);
# an explicit ALLIANCE_BASE_URL still wins.
os.environ.setdefault("ALLIANCE_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}")

from .base import *  # noqa: E402,F403
from .base import BASE_DIR, env  # noqa: E402

ALLIANCE_SIGNING_KEY = env(
    "ALLIANCE_SIGNING_KEY", default=str(BASE_DIR / "var" / "signing" / "key.pem")
)
ALLIANCE_SIGNING_CERT = env(
    "ALLIANCE_SIGNING_CERT", default=str(BASE_DIR / "var" / "signing" / "cert.pem")
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
INTERNAL_IPS = ["127.0.0.1"]
