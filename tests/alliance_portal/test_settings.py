"""Settings behave as documented: checked in fresh interpreters, as a deployment would start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'debug': settings.DEBUG, "
    "'mfa': settings.ALLIANCE_REQUIRE_MFA}))"
)
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "alliance.example.com",
    "DATABASE_URL": "postgres://alliance@db.example.com:5432/alliance",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    "REDIS_URL": "redis://redis.example.com:6379/1",
    "ANTIVIRUS": "clamd",
}


def _run(settings_module: str, env: dict[str, str], code: str = PROBE):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("CELERY_BROKER_URL", None)
    clean.pop("REDIS_URL", None)
    clean.pop("ANTIVIRUS", None)
    clean.pop("ALLIANCE_ACCEPT_UNSCANNED_UPLOADS", None)
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_embedded_default_is_sqlite_with_eager_tasks():
    result = _run("alliance_portal.settings.local", {})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "debug": True,
        "mfa": False,
    }


def test_configured_services_are_used_with_real_workers():
    result = _run(
        "alliance_portal.settings.local",
        {"DATABASE_URL": "postgres://u@h/db", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"},
    )
    assert result.returncode == 0, result.stderr
    probed = json.loads(result.stdout)
    assert probed["engine"] == "django.db.backends.postgresql"
    assert probed["eager"] is False


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run("alliance_portal.settings.production", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_wildcard_hosts():
    result = _run(
        "alliance_portal.settings.production", {**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": "*"}
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_requires_mfa_and_passes_the_deploy_check():
    # Even an operator's attempt to relax MFA is ignored in production.
    result = _run(
        "alliance_portal.settings.production", {**PRODUCTION_ENV, "ALLIANCE_REQUIRE_MFA": "false"}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.postgresql",
        "eager": False,
        "debug": False,
        "mfa": True,
    }
    check = _run(
        "alliance_portal.settings.production",
        PRODUCTION_ENV,
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
    )
    assert check.returncode == 0, check.stderr + check.stdout


SCANNER_PROBE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.ALLIANCE_ANTIVIRUS_BACKEND.rpartition('.')[2])"
)


def test_production_refuses_to_start_without_an_upload_scanner():
    result = _run("alliance_portal.settings.production", {**PRODUCTION_ENV, "ANTIVIRUS": "none"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ALLIANCE_ACCEPT_UNSCANNED_UPLOADS" in result.stderr


def test_production_accepts_unscanned_uploads_only_when_told_so():
    told = {**PRODUCTION_ENV, "ANTIVIRUS": "none", "ALLIANCE_ACCEPT_UNSCANNED_UPLOADS": "true"}
    result = _run("alliance_portal.settings.production", told, SCANNER_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "NoScanner"


def test_production_scans_with_clamd():
    result = _run("alliance_portal.settings.production", PRODUCTION_ENV, SCANNER_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ClamdScanner"


BASE_URL_PROBE = (
    "import django; from django.conf import settings; django.setup(); "
    "print(settings.ALLIANCE_BASE_URL)"
)


def _without_address(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("PORT", "ALLIANCE_BASE_URL")}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8401"}, "http://127.0.0.1:8401"),
        (
            {"PORT": "8401", "ALLIANCE_BASE_URL": "https://alliance.example.com"},
            "https://alliance.example.com",
        ),
    ],
)
def test_local_base_url_follows_the_port_make_run_serves_on(env, expected, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("ALLIANCE_BASE_URL", raising=False)
    result = _run("alliance_portal.settings.local", env, BASE_URL_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


MAKE_PROBE = ["make", "--no-print-directory", "-s", "-f", "Makefile", "-f"]


def test_make_run_hands_its_port_to_the_settings(tmp_path):
    """`make run PORT=8401` (a make variable, which make hands to its commands' environment)
    reaches the settings the run target's manage.py commands load: a probe target beside the
    Makefile's own, run the same way."""
    probe = tmp_path / "probe.mk"
    # Through manage.py, as the run target's commands go (it picks the local settings).
    probe.write_text(
        "probe-base-url:\n\t$(MANAGE) shell -c "
        "'from django.conf import settings; print(settings.ALLIANCE_BASE_URL)'\n"
    )
    env = _without_address(
        {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    )
    result = subprocess.run(
        [*MAKE_PROBE, str(probe), "probe-base-url", "PORT=8401"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8401"


@pytest.mark.django_db
def test_postgresql_plans_for_ssd_storage():
    """Each connection prices random page reads for SSDs, so the planner reads a trigram
    index rather than a whole table to count a search."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
