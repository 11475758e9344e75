"""Settings shared by every environment.

Every value that differs between machines comes from the environment through the one
``env`` object below; `.env.example` documents each variable. The environment modules
(local, production, test) only change defaults and add what is specific to them.
"""

from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets the admin and form classes name their model in their bases (ModelAdmin[Member]), as
# django-stubs reads them; adds __class_getitem__ to those Django classes, nothing else.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Trigram indexes (OpClass in index expressions) and the pg_trgm migration operation.
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "django_countries",
    "csp",
    # Bundled Swagger UI assets for the API documentation (no CDN).
    "ninja",
    # Ours, lowest first: api -> workbench -> compliance -> licensing -> members -> alliance_portal.
    "alliance_portal",
    "members",
    "licensing",
    "compliance",
    "screening",
    "trust",
    "workbench",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "alliance_portal.documents.uploads.StrictUploadNamesMiddleware",
    "api.middleware.ApiNulBytesMiddleware",
    "alliance_portal.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth (it needs the user) and messages (it says why it signed someone out).
    "alliance_portal.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "alliance_portal.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "alliance_portal.urls"
WSGI_APPLICATION = "alliance_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance_portal.context_processors.navigation",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------

# With no DATABASE_URL the portal runs on an embedded SQLite file (the local default).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two threads of the
    # development server cannot interleave read-then-write sequences (the audit chain).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The planner's price of reading a page out of order. PostgreSQL's 4 assumes spinning
    # disks: with it the planner read all 100,000 members rather than their trigram index to
    # count a search (143 ms instead of 17). 1.1 suits SSD storage or a cached database.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        filter(
            None,
            [
                _options.get("options", ""),
                f"-c random_page_cost={env.float('DATABASE_RANDOM_PAGE_COST', default=1.1)}",
            ],
        )
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # While Redis is down the cache answers from process memory (alliance_portal/cache.py):
    # login and /verify/ keep working, their rate limits are counted per process.
    CACHES = {
        "default": {
            "BACKEND": "alliance_portal.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "alliance",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "RETRY_AFTER": 10,  # seconds Redis is left alone after a failure
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts ---------------------------------------------------------------------------

AUTH_USER_MODEL = "members.User"
# members.User.email is unique case-insensitively (a functional UniqueConstraint), which this
# check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# NIST SP 800-63B: a length floor, a check against common passwords, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
# Failed logins: at most 10 a minute from one address, and 5 per 5 minutes for one e-mail.
ACCOUNT_RATE_LIMITS = {"login_failed": env("ACCOUNT_LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key")}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ALROSA ALLIANCE] "
# Tell people by e-mail when their password, e-mail or two-factor settings change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_ADAPTER = "alliance_portal.adapters.AccountAdapter"
# Sign-up records the personal-data consent (members.signup).
ACCOUNT_SIGNUP_FORM_CLASS = "members.signup.SignupConsentForm"
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ALROSA ALLIANCE"

# Single sign-on for staff through the company's OpenID Connect provider (alliance_portal/sso.py),
# on when ALLIANCE_OIDC_SERVER_URL (the issuer) and ALLIANCE_OIDC_CLIENT_ID are set. The
# redirect URI to register at the provider: <ALLIANCE_BASE_URL>/accounts/oidc/staff/login/callback/
_oidc_server = env("ALLIANCE_OIDC_SERVER_URL", default="")
_oidc_client = env("ALLIANCE_OIDC_CLIENT_ID", default="")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "staff",
                    "name": env("ALLIANCE_OIDC_NAME", default="Company sign-in (staff)"),
                    "client_id": _oidc_client,
                    "secret": env("ALLIANCE_OIDC_CLIENT_SECRET", default=""),
                    "settings": {"server_url": _oidc_server},
                }
            ]
            if _oidc_server and _oidc_client
            else []
        ),
    }
}
SOCIALACCOUNT_ADAPTER = "alliance_portal.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
# The provider vouches for the address of its own staff.
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
# The claim holding the person's groups, and "claim value=Django group" pairs, e.g.
# ALLIANCE_OIDC_GROUP_MAP="alliance-staff=Customer policy staff,alliance-deciders=Decision makers".
ALLIANCE_OIDC_GROUPS_CLAIM = env("ALLIANCE_OIDC_GROUPS_CLAIM", default="groups")
ALLIANCE_OIDC_GROUP_MAP: dict[str, str] = env.dict("ALLIANCE_OIDC_GROUP_MAP", default={})

# Staff (the admin) and auditors (the auditor area) must have enrolled TOTP first.
ALLIANCE_REQUIRE_MFA = env.bool("ALLIANCE_REQUIRE_MFA", default=True)
ALLIANCE_MFA_PROTECTED_PATHS = ("/admin/", "/auditor/")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
# Staff and auditors are also signed out after this many minutes without a request.
ALLIANCE_STAFF_IDLE_MINUTES = env.int("ALLIANCE_STAFF_IDLE_MINUTES", default=30)
# Signing a licence or submitting a declaration asks the user to re-authenticate when they
# last did more than this many minutes ago.
ALLIANCE_REAUTHENTICATION_MINUTES = env.int("ALLIANCE_REAUTHENTICATION_MINUTES", default=5)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Content Security Policy (django-csp 4) -----------------------------------------

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The Django admin and allauth templates carry a few style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Private documents live outside the web root and are only served by permission-checked views.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail -------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 20
# The portal's public address, for links in e-mails and PDFs.
ALLIANCE_BASE_URL = env("ALLIANCE_BASE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ALROSA ALLIANCE <alliance@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The outbox (alliance_portal.outbox): every e-mail and queued task is a row, delivered by
# `manage.py outbox_relay` (or inline after the commit where tasks run eagerly, the embedded
# default). Failed attempts are retried after 30 s, 1 min, 2 min … up to an hour apart, for
# three days, then the message is marked failed for staff to see.
ALLIANCE_OUTBOX_HORIZON_HOURS = env.float("ALLIANCE_OUTBOX_HORIZON_HOURS", default=72)
# Audit rows are chained after their writer commits, by each process at most once in this many
# seconds (under load one pass links many rows); the beat job "link-audit-chain" chains what is
# left every minute.
ALLIANCE_AUDIT_CHAIN_INTERVAL = env.float("ALLIANCE_AUDIT_CHAIN_INTERVAL", default=1.0)
ALLIANCE_OUTBOX_RETRY_SECONDS = env.float("ALLIANCE_OUTBOX_RETRY_SECONDS", default=30)
ALLIANCE_OUTBOX_RETRY_MAX_SECONDS = env.float("ALLIANCE_OUTBOX_RETRY_MAX_SECONDS", default=3600)
# A relay that claimed a batch and died: its rows are tried again after this lease.
ALLIANCE_OUTBOX_LEASE_SECONDS = env.int("ALLIANCE_OUTBOX_LEASE_SECONDS", default=300)
# An idle relay looks again after this many seconds: each queued task or e-mail waits up to that
# long (a look that finds nothing is one indexed query).
ALLIANCE_OUTBOX_POLL_SECONDS = env.float("ALLIANCE_OUTBOX_POLL_SECONDS", default=0.2)
# Webhook calls (api/webhooks.py): a receiver has this long to answer. Private, loopback and
# link-local receivers are allowed here (a receiver on the same machine while developing) and
# refused in production settings unless ALLIANCE_WEBHOOK_ALLOW_PRIVATE says otherwise.
ALLIANCE_WEBHOOK_TIMEOUT_SECONDS = env.float("ALLIANCE_WEBHOOK_TIMEOUT_SECONDS", default=5)
ALLIANCE_WEBHOOK_ALLOW_PRIVATE = env.bool("ALLIANCE_WEBHOOK_ALLOW_PRIVATE", default=True)
# Staff addresses that receive operational alerts (a broken audit chain, for one).
ADMINS = [("Portal operators", a) for a in env.list("ALLIANCE_ALERT_EMAILS", default=[])]

# --- Celery -------------------------------------------------------------------------

_broker = env("CELERY_BROKER_URL", default="")
# With no broker configured, tasks run eagerly inside the web process (the embedded default).
CELERY_BROKER_URL = _broker or "memory://"
CELERY_TASK_ALWAYS_EAGER = not _broker
CELERY_TASK_EAGER_PROPAGATES = True
# A worker keeps its database connection from one task to the next (Celery closes it around
# every task otherwise: a new PostgreSQL session per render); alliance_portal.celery checks it
# before each task as Django does before each request, and Celery renews it after this many.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# Without a broker the outbox is relayed inside the process, right after each commit.
ALLIANCE_OUTBOX_INLINE = env.bool("ALLIANCE_OUTBOX_INLINE", default=not _broker)

# Admin list exports: up to this many rows are streamed in the request; longer lists are
# written by a Celery job with a progress page, and its file is kept this many hours.
ALLIANCE_EXPORT_INLINE_ROWS = env.int("ALLIANCE_EXPORT_INLINE_ROWS", default=2000)
ALLIANCE_EXPORT_KEEP_HOURS = env.int("ALLIANCE_EXPORT_KEEP_HOURS", default=24)

# --- Logging ------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Uploads ------------------------------------------------------------------------

ALLIANCE_UPLOAD_MAX_BYTES = env.int("ALLIANCE_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
ALLIANCE_OFFICE_ZIP_LIMITS = {
    "max_entries": 1000,
    "max_uncompressed_bytes": 200 * 1024 * 1024,
    "max_ratio": 100,
}
FILE_UPLOAD_HANDLERS = [
    "alliance_portal.documents.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# none: no scanner (uploads are marked "not scanned"); clamd: scan with clamd at CLAMD_ADDRESS.
ALLIANCE_ANTIVIRUS_BACKEND = {
    "none": "alliance_portal.documents.antivirus.NoScanner",
    "clamd": "alliance_portal.documents.antivirus.ClamdScanner",
}[env("ANTIVIRUS", default="none")]
CLAMD_ADDRESS = env("CLAMD_ADDRESS", default="unix:///var/run/clamav/clamd.ctl")

# --- Signed PDFs (PAdES) -------------------------------------------------------------

# PEM key and certificate that sign compliance certificates. Locally they default to files
# under var/ that `make run` creates with `manage.py create_signing_key`.
ALLIANCE_SIGNING_KEY = env("ALLIANCE_SIGNING_KEY", default="")
ALLIANCE_SIGNING_CERT = env("ALLIANCE_SIGNING_CERT", default="")
ALLIANCE_SIGNING_KEY_PASSPHRASE = env("ALLIANCE_SIGNING_KEY_PASSPHRASE", default="")
# An RFC 3161 time-stamping authority: with it, signed PDFs carry its timestamp and the
# validation information of the certificates (PAdES B-LT), so they still validate after the
# signing certificate expires. Unset: the PDFs are signed without a timestamp (PAdES B-B).
ALLIANCE_TSA_URL = env("ALLIANCE_TSA_URL", default="")
ALLIANCE_TSA_TIMEOUT_SECONDS = env.int("ALLIANCE_TSA_TIMEOUT_SECONDS", default=30)
# A PEM bundle of the roots the signing and TSA certificates chain to (the signing certificate
# itself is always trusted); `manage.py verify_pdf` and the embedded validation data use it.
ALLIANCE_PDF_TRUST_ROOTS = env("ALLIANCE_PDF_TRUST_ROOTS", default="")

# --- Programme rules ------------------------------------------------------------------

# Applications are reviewed within 30 days of submission, extendable to 90.
ALLIANCE_APPLICATION_REVIEW_DAYS = 30
ALLIANCE_APPLICATION_REVIEW_MAX_DAYS = 90
# The staff home shows an application amber from this many days after its submission (red
# once past its target).
ALLIANCE_APPLICATION_REVIEW_WARN_DAYS = env.int("ALLIANCE_APPLICATION_REVIEW_WARN_DAYS", default=20)
# How many weeks ahead the staff calendar page looks by default.
ALLIANCE_CALENDAR_WEEKS = env.int("ALLIANCE_CALENDAR_WEEKS", default=8)
# Seconds the workbench's charts are kept before their figures are computed again (0: always).
ALLIANCE_CHARTS_CACHE_SECONDS = env.int("ALLIANCE_CHARTS_CACHE_SECONDS", default=600)
ALLIANCE_INVITATION_DAYS = 7
# A licence runs for up to three years from its signature.
ALLIANCE_LICENCE_TERM_YEARS = env.int("ALLIANCE_LICENCE_TERM_YEARS", default=3)
# The next periodic review falls due after this many months, by the member's risk rating.
ALLIANCE_REVIEW_INTERVAL_MONTHS = {
    "high": env.int("ALLIANCE_REVIEW_MONTHS_HIGH", default=6),
    "medium": env.int("ALLIANCE_REVIEW_MONTHS_MEDIUM", default=12),
    "low": env.int("ALLIANCE_REVIEW_MONTHS_LOW", default=24),
}
# Days a member has to answer a review cycle once it is opened.
ALLIANCE_CYCLE_ANSWER_DAYS = env.int("ALLIANCE_CYCLE_ANSWER_DAYS", default=30)
# Days a member has to respond to a forfeiture notice.
ALLIANCE_RESPONSE_WINDOW_DAYS = env.int("ALLIANCE_RESPONSE_WINDOW_DAYS", default=30)
# Days after a due date before an overdue cycle or finding is escalated, and whether an overdue
# attestation also opens a "failure to attest" forfeiture case.
ALLIANCE_OVERDUE_GRACE_DAYS = env.int("ALLIANCE_OVERDUE_GRACE_DAYS", default=14)
ALLIANCE_OPEN_CASE_WHEN_OVERDUE = env.bool("ALLIANCE_OPEN_CASE_WHEN_OVERDUE", default=False)
# Documents with an expiry: members are reminded this many days before it (0: on the day),
# and once it has passed by the grace period a finding is raised, due this many days later.
ALLIANCE_DOCUMENT_REMINDER_DAYS = tuple(
    sorted(env.list("ALLIANCE_DOCUMENT_REMINDER_DAYS", cast=int, default=[60, 30, 7, 0]))
)
ALLIANCE_EXPIRED_DOCUMENT_GRACE_DAYS = env.int("ALLIANCE_EXPIRED_DOCUMENT_GRACE_DAYS", default=30)
ALLIANCE_EXPIRED_DOCUMENT_FINDING_DAYS = env.int(
    "ALLIANCE_EXPIRED_DOCUMENT_FINDING_DAYS", default=30
)

# --- Public trust (trust/) ---------------------------------------------------------------

# A suspended or forfeited member's public page says so for this many days (from the suspension
# or the forfeiture); after that the page answers 404 like any unlisted member's.
ALLIANCE_PUBLIC_STANDING_DAYS = env.int("ALLIANCE_PUBLIC_STANDING_DAYS", default=365)
# Staff acknowledge a report within this many working days (Monday to Friday) and conclude it
# within this many calendar days of its receipt.
ALLIANCE_REPORT_ACKNOWLEDGE_WORKING_DAYS = env.int(
    "ALLIANCE_REPORT_ACKNOWLEDGE_WORKING_DAYS", default=5
)
ALLIANCE_REPORT_CONCLUDE_DAYS = env.int("ALLIANCE_REPORT_CONCLUDE_DAYS", default=60)
# Spam resistance of the public report form, without third parties: a form sent sooner than
# this many seconds after it was shown, or older than the maximum, is refused; each address may
# send this many reports an hour.
ALLIANCE_REPORT_MIN_SECONDS = env.int("ALLIANCE_REPORT_MIN_SECONDS", default=5)
ALLIANCE_REPORT_FORM_MAX_AGE_SECONDS = 24 * 3600
ALLIANCE_REPORT_RATE_LIMIT = env.int("ALLIANCE_REPORT_RATE_LIMIT", default=5)
ALLIANCE_REPORT_MAX_FILES = 5

# --- REST API (api/) ------------------------------------------------------------------

# Requests a minute per API token, and per address for the public endpoints.
ALLIANCE_API_RATE_LIMIT = env.int("ALLIANCE_API_RATE_LIMIT", default=120)
ALLIANCE_API_PUBLIC_RATE_LIMIT = env.int("ALLIANCE_API_PUBLIC_RATE_LIMIT", default=60)
ALLIANCE_API_PAGE_SIZE = 25
ALLIANCE_API_MAX_PAGE_SIZE = 100
# An API token expires at the latest this many days after it was made.
ALLIANCE_API_TOKEN_MAX_DAYS = env.int("ALLIANCE_API_TOKEN_MAX_DAYS", default=365)

# --- Sanctions and PEP screening (screening/) ---------------------------------------------

# local: match in the portal (rigour + rapidfuzz) against the imported lists; yente: ask a
# yente-compatible matching service (POST {SCREENING_YENTE_URL}/match/{dataset}).
SCREENING_ENGINE = env.str("SCREENING_ENGINE", default="local")
if SCREENING_ENGINE not in ("local", "yente"):
    raise ImproperlyConfigured("SCREENING_ENGINE must be local or yente")
SCREENING_YENTE_URL = env.str("SCREENING_YENTE_URL", default="")
SCREENING_YENTE_DATASET = env.str("SCREENING_YENTE_DATASET", default="default")
SCREENING_YENTE_TIMEOUT_SECONDS = env.float("SCREENING_YENTE_TIMEOUT_SECONDS", default=30.0)
# A pair scoring at least this is a hit for staff to triage (0 to 1).
SCREENING_THRESHOLD = env.float("SCREENING_THRESHOLD", default=0.8)
# Subjects per committed batch, and how long one run of the job may work (the next resumes).
SCREENING_BATCH_SIZE = env.int("SCREENING_BATCH_SIZE", default=500)
SCREENING_TIME_BUDGET_SECONDS = env.float("SCREENING_TIME_BUDGET_SECONDS", default=200.0)
