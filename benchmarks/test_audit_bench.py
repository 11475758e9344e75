"""How fast the audit log appends and verifies: every service write pays for one append.

Run with `make bench` (add DATABASE_URL=postgres://… to measure on PostgreSQL).
"""

import pytest
from django.db import transaction

from alliance_portal.audit import audit_chain_verify, audit_record
from tests.factories import UserFactory


@pytest.mark.django_db
def test_append_one_event(benchmark):
    user = UserFactory()

    def append() -> None:
        with transaction.atomic():
            audit_record(actor=user, action="bench.append", target=user, payload={"k": "v"})

    benchmark(append)


@pytest.mark.django_db
def test_verify_chain_of_10000_events(benchmark):
    user = UserFactory()
    with transaction.atomic():
        for i in range(10_000):
            audit_record(actor=user, action="bench.verify", payload={"i": i})
    report = benchmark.pedantic(audit_chain_verify, rounds=3, iterations=1)
    assert report.ok and report.checked == 10_000
