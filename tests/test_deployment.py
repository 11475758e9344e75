"""docker-compose.yml and the Dockerfile name real modules and settings.

No Docker engine runs here, so the files are parsed and each command is checked against the code.
"""

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_shape_is_all_there():
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(SERVICES)


def _module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


def test_app_services_use_production_settings_that_exist():
    for name in ("web", "worker", "beat", "migrate"):
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
