"""How fast the audit log appends and verifies: every service write pays for one append.

Run with `make bench` (add DATABASE_URL=postgres://… to measure on PostgreSQL). The
concurrent case is what issue "scale" asks of the log: at least 2,000 audited writes a second
from 4 writer processes on PostgreSQL, each write its own transaction, the chain verified
intact afterwards.
"""

import multiprocessing
import time

import pytest
from django.db import connection, connections, transaction

from alliance_portal.audit import audit_chain_verify, audit_record
from alliance_portal.models import AuditEvent
from benchmarks.results import record
from tests.factories import UserFactory

WRITERS = 4
EVENTS_PER_WRITER = 1500


@pytest.mark.django_db
def test_append_one_event(benchmark):
    user = UserFactory()

    def append() -> None:
        with transaction.atomic():
            audit_record(actor=user, action="bench.append", target=user, payload={"k": "v"})

    benchmark(append)
    # Inside the test's transaction: the append alone, without a commit.
    record("audit log", "append one event", f"{benchmark.stats.stats.median * 1e6:,.0f} µs")


@pytest.mark.django_db
def test_verify_chain_of_10000_events(benchmark):
    user = UserFactory()
    with transaction.atomic():
        for i in range(10_000):
            audit_record(actor=user, action="bench.verify", payload={"i": i})
    report = benchmark.pedantic(audit_chain_verify, rounds=3, iterations=1)
    assert report.ok and report.checked == 10_000
    rate = 10_000 / benchmark.stats.stats.median
    record("audit log", "verify the chain", f"{rate:,.0f} events/s")


def _write(user_id: int, writer: int, start: "multiprocessing.synchronize.Barrier") -> None:
    # A forked process must not reuse its parent's connection.
    for conn in connections.all(initialized_only=True):
        conn.inc_thread_sharing()
        conn.close()
    user = UserFactory._meta.model.objects.get(pk=user_id)
    start.wait()
    for i in range(EVENTS_PER_WRITER):
        with transaction.atomic():
            audit_record(
                actor=user,
                action="bench.concurrent",
                target=user,
                payload={"writer": writer, "i": i},
            )
    connections.close_all()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_audited_writes_per_second_with_4_writers(benchmark):
    user = UserFactory()
    context = multiprocessing.get_context("fork")

    def run() -> float:
        connections.close_all()
        # The clock starts once every writer is connected and ready: the writes alone count.
        start = context.Barrier(WRITERS + 1)
        writers = [context.Process(target=_write, args=(user.pk, n, start)) for n in range(WRITERS)]
        for process in writers:
            process.start()
        start.wait()
        began = time.perf_counter()
        for process in writers:
            process.join()
        elapsed = time.perf_counter() - began
        assert all(process.exitcode == 0 for process in writers)
        return WRITERS * EVENTS_PER_WRITER / elapsed

    rate = benchmark.pedantic(run, rounds=1, iterations=1)
    report = audit_chain_verify()
    assert report.ok and report.unchained == 0
    assert AuditEvent.objects.filter(action="bench.concurrent").count() == (
        WRITERS * EVENTS_PER_WRITER
    )
    benchmark.extra_info["events_per_second"] = round(rate)
    record(
        "audit log",
        f"audited writes, {WRITERS} writers",
        f"{rate:,.0f} events/s",
        "≥ 2,000 events/s",
        rate >= 2000,
    )
    print(f"\naudited writes with {WRITERS} writer processes: {rate:,.0f} events/s")
