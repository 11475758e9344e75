import importlib
import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the Russian catalogue (the .mo files are built, not kept in git) and make the
    key that signs certificates in tests."""
    from django.core.management import call_command

    call_command("create_signing_key", verbosity=0)
    if shutil.which("msgfmt"):
        call_command("compilemessages", ignore_patterns=[".venv", "var"], verbosity=0)


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
]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Each test stores its documents in a folder of its own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits live in the cache; every test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True)


@pytest.fixture
def db_vendor() -> str:
    return connection.vendor
