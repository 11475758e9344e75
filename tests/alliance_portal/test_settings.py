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
