import contextlib
import importlib
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, connections

from alliance_portal.cache import REDIS_DOWN
from tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the Russian catalogue (the .mo files are built, not kept in git) and make the
    key that signs certificates in tests."""
    from django.core.management import call_command

    call_command("create_signing_key", verbosity=0)
    if shutil.which("msgfmt"):
        call_command("compilemessages", ignore_patterns=[".venv", "var", "mutants"], verbosity=0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_redis = settings.CELERY_BROKER_URL.startswith("redis://") and bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(
                pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL and REDIS_URL")
            )
        if "browser" in item.keywords and not shutil.which(CHROMIUM) and not os.environ.get("CI"):
            item.add_marker(pytest.mark.skip(reason=f"needs {CHROMIUM} (Debian package chromium)"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """For `make mutation`, which starts a test session per mutant: with MUTATION_TEMPLATE_DB
    (a SQLite database it migrated once) each session uses a copy of its own, kept as is with
    --reuse-db, instead of migrating a new one (seconds each). Otherwise nothing changes."""
    template = os.environ.get("MUTATION_TEMPLATE_DB")
    if not template:
        yield
        return
    copy = Path(template).with_name(f"mutation-{os.getpid()}.sqlite3")
    shutil.copyfile(template, copy)
    settings.DATABASES["default"]["TEST"]["NAME"] = str(copy)
    yield
    connections.close_all()
    for path in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Let the test database be emptied between transactional tests.

    Django empties tables with TRUNCATE, which the audit log refuses on PostgreSQL; in the
    test database only, that one trigger is switched off (tests switch it on to check it).
    """
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE alliance_portal_auditevent "
                    "DISABLE TRIGGER alliance_audit_no_truncate"
                )


@pytest.fixture
def reference_data(transactional_db):
    """The rows data migrations create (groups, document requirements).

    A transactional test starts from a database its predecessor emptied (Django flushes
    after each one), so such tests that need these rows ask for this fixture.
    """
    from django.apps import apps

    for app_label, migration, function in REFERENCE_DATA_MIGRATIONS:
        module = importlib.import_module(f"{app_label}.migrations.{migration}")
        getattr(module, function)(apps, None)


REFERENCE_DATA_MIGRATIONS = [
    ("members", "0002_role_groups", "create_groups"),
    ("members", "0004_requirements_and_permissions", "forwards"),
    ("licensing", "0002_guidelines_second_edition", "forwards"),
    ("compliance", "0002_permissions", "forwards"),
    ("compliance", "0004_certificate_permissions", "forwards"),
    ("compliance", "0005_case_notice_delivery", "grant_outbox"),
    ("compliance", "0008_outbox_handle_permission", "forwards"),
    ("api", "0002_staff_token_permissions", "forwards"),
    ("api", "0004_staff_webhook_permissions", "forwards"),
    ("members", "0011_document_validity_and_member_documents", "forwards"),
    ("licensing", "0008_criterion_evidence_validity", "forwards"),
    ("compliance", "0014_document_validity", "forwards"),
    ("members", "0012_key_people_review", "forwards"),
    ("trust", "0002_report_permissions", "forwards"),
    ("licensing", "0010_logo_uses_and_kit_acceptance", "grant_staff"),
    ("licensing", "0011_agreement_e_signature_clause", "forwards"),
    ("members", "0014_personal_data_consent", "grant_staff"),
    ("screening", "0002_permissions", "forwards"),
]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test stores its documents in a folder of its own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def clear_own_cache() -> None:
    """Empty the default cache of the suite's own keys, and of nothing else.

    `cache.clear()` on Redis is FLUSHDB: it would empty a database other programs share.
    On Redis this deletes the keys under the cache's KEY_PREFIX (the test settings give each
    run one of its own) and the fallback's memory; any other backend is this process's.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        backend.clear()
        return
    fallback = getattr(backend, "_fallback", None)
    if fallback is not None:
        fallback.clear()
    assert backend.key_prefix, "a Redis cache in tests needs a KEY_PREFIX of the run's own"
    try:
        client = backend._cache.get_client(write=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", backend.key_prefix) + ":*"
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    except REDIS_DOWN:
        pass  # a test took its Redis away: nothing there to clear


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits live in the cache; every test starts with none used.
    clear_own_cache()
    yield
    clear_own_cache()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True)


@pytest.fixture
def db_vendor() -> str:
    return connection.vendor


# --- Chromium (Playwright), shared by the browser tests of a module ---------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Module scope: Playwright's sync API runs an event loop in the main thread while the browser
# is open, and pyHanko's signing (asyncio.run) cannot start beside it; closing the browser
# after each module keeps PDF signing in the other modules working.
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # fixtures around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, reference_data, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    yield page
    from playwright.sync_api import Error as PlaywrightError

    # Requests the last page still makes (previews in frames, htmx) finish before the test
    # database is emptied: a flush racing a request still in the live server can deadlock.
    with contextlib.suppress(PlaywrightError):  # still busy after 5 s: close anyway
        page.wait_for_load_state("networkidle", timeout=5000)
    context.close()
