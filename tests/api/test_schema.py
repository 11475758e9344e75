"""The OpenAPI schema against the running application: schemathesis generates requests for
every operation, as a staff token and as a member token, and checks that none answers 5xx and
that every response matches the schema (status, content type, headers, body)."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api.api import api
from tests.api.conftest import make_token

CONFIG = SchemathesisConfig.from_dict(
    {
        # Generated examples (valid and invalid) only: the coverage phase's every boundary
        # value of every parameter takes minutes; the boundaries that matter (ids past a
        # bigint, page sizes, dates) are tested one by one in test_records and test_writes.
        "phases": {"coverage": {"enabled": False}},
        # A request the schema allows may still break a rule the schema cannot state (the
        # due date must be in the future; the member named must exist): that is a 422.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "304", "401", "403", "404", "409", "422", "429"]
            }
        },
    }
)
schema = schemathesis.openapi.from_dict(
    api.get_openapi_schema(path_prefix="/api/v1/"), config=CONFIG
)


class InProcessApp:
    """Django's WSGI application for schemathesis, inside the test's transaction: as Django's
    test client does, the request does not close the test's database connection."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = list(response)
            response.close()
            return body
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


schema.app = InProcessApp()

# Bounded and repeatable: the same examples every run, a few per operation.
BOUNDED = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def generous_limits(settings):
    settings.ALLIANCE_API_RATE_LIMIT = 100_000
    settings.ALLIANCE_API_PUBLIC_RATE_LIMIT = 100_000


@pytest.fixture
def staff_secret(staff_user, company_a, company_b, finding_b, generous_limits):
    return make_token(staff_user, "write")


@pytest.fixture
def member_secret(company_a, company_b, generous_limits):
    return make_token(company_a.signatory, "write")


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_api_as_staff(case, staff_secret):
    case.call_and_validate(headers={"Authorization": f"Bearer {staff_secret}"})


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_api_as_member(case, member_secret):
    case.call_and_validate(headers={"Authorization": f"Bearer {member_secret}"})


def test_schema_is_openapi_3_1_with_bearer_tokens(client: Client):
    body = client.get("/api/v1/openapi.json").json()
    assert body["openapi"].startswith("3.1")
    schemes = body["components"]["securitySchemes"]
    assert any(s == {"type": "http", "scheme": "bearer"} for s in schemes.values())
    licences = body["paths"]["/api/v1/licences"]["get"]["responses"]
    assert "application/problem+json" in licences["404"]["content"]
    assert "304" in licences


def test_docs_use_bundled_assets_only(client: Client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
