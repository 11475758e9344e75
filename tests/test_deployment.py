"""docker-compose.yml and the Dockerfile name real modules and settings.

No Docker engine runs here, so the files are parsed and each command is checked against the code.
"""

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_shape_is_all_there():
    assert {"web", "worker", "beat", "relay", "postgres", "redis"} <= set(SERVICES)


def _module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


def test_app_services_use_production_settings_that_exist():
    for name in ("web", "worker", "beat", "relay", "migrate"):
        env = SERVICES[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "alliance_portal.settings.production"
        assert _module_exists(env["DJANGO_SETTINGS_MODULE"])
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")


def test_web_runs_gunicorn_on_the_wsgi_application():
    command = SERVICES["web"]["command"]
    assert command[0] == "gunicorn"
    module, attribute = command[1].split(":")
    assert _module_exists(module)
    assert (ROOT / Path(*module.split(".")).with_suffix(".py")).read_text().count(attribute) >= 1


def test_the_relay_runs_the_outbox_command():
    from django.core.management import get_commands

    command = SERVICES["relay"]["command"]
    assert command[:3] == ["python", "manage.py", "outbox_relay"]
    assert get_commands()["outbox_relay"] == "alliance_portal"


def test_worker_and_beat_run_the_project_celery_app():
    from alliance_portal import celery_app

    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = SERVICES[name]["command"]
        assert command[:4] == ["celery", "-A", "alliance_portal", role]
    assert importlib.import_module("alliance_portal").celery_app is celery_app


def test_no_credentials_are_written_into_the_compose_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY" not in text
    assert re.search(r"POSTGRES_PASSWORD:\s*\$\{POSTGRES_PASSWORD:\?", text)


def test_dockerfile_builds_from_the_pinned_requirements_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install -r requirements/base.txt" in dockerfile
    assert "USER alliance" in dockerfile
    assert "alliance_portal.wsgi:application" in dockerfile


def test_the_image_build_step_loads_the_production_settings(tmp_path):
    """The build's collectstatic runs production settings with the build-only values the
    Dockerfile gives it: they must be enough for the settings to load."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    match = re.search(r'ARG BUILD_ENV="(.*?)"', dockerfile, re.S)
    assert match is not None
    build_env = dict(item.split("=", 1) for item in match.group(1).replace("\\", " ").split())
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.production",
        "STATIC_ROOT": str(tmp_path / "static"),
        **build_env,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.django_db
def test_web_healthcheck_asks_with_an_allowed_host(client, settings):
    """The probe's request, replayed through Django: it must pass host validation."""
    probe = SERVICES["web"]["healthcheck"]["test"][-1]
    assert "DJANGO_ALLOWED_HOSTS" in probe and "X-Forwarded-Proto" in probe
    settings.ALLOWED_HOSTS = ["alliance.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(
        "/readyz", headers={"host": "alliance.example.com", "x-forwarded-proto": "https"}
    )
    assert response.status_code == 200


def test_uploads_are_scanned_by_the_clamd_service():
    clamd = SERVICES["clamd"]
    assert clamd["image"].split(":")[0] == "clamav/clamav"
    for name in ("web", "worker"):
        env = SERVICES[name]["environment"]
        assert env["ANTIVIRUS"] == "clamd"
        assert env["CLAMD_ADDRESS"] == "tcp://clamd:3310"
        assert SERVICES[name]["depends_on"]["clamd"]["condition"] == "service_healthy"


def test_every_app_service_starts_with_the_production_settings_it_is_given():
    """The compose environment plus the two secrets from .env: production must accept it
    (it refuses, for one, to start without an upload scanner)."""
    from tests.alliance_portal.test_settings import _run

    secrets = {"DJANGO_SECRET_KEY": "x" * 60, "DJANGO_ALLOWED_HOSTS": "alliance.example.com"}
    environments = {
        tuple(
            (key, re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "secret", str(value)))
            for key, value in sorted(SERVICES[name]["environment"].items())
        )
        for name in ("web", "worker", "beat", "relay", "migrate")
    }
    for environment in environments:  # one, while they all share the x-app block
        env = dict(environment)
        result = _run(env.pop("DJANGO_SETTINGS_MODULE"), {**env, **secrets})
        assert result.returncode == 0, result.stderr
