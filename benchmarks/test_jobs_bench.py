"""How many items a second each periodic job processes at scale, with the audit rows, the
notifications and the outbox messages it must write.

The database is seeded with ``scale_seed`` (JOBS_BENCH_MEMBERS members, 10,000 by default;
issue "scale" asks for the figures at 100,000), then, job by job, dates are moved so that the
job has real work for every member (every review falls due, then is reminded of, then is
overdue; every certificate and licence ends; a third of the users read a daily digest; each
member has a document a week from its expiry, an auditor grant that ended yesterday, a
forfeiture notice delivered whose window has not started, an export past its time and a
stray file), and the job runs once. Items are what it processed: cycles opened, reminders
sent, licences expired, digests queued, files removed, ... Run on PostgreSQL:

    DATABASE_URL=postgres://… pytest benchmarks/test_jobs_bench.py --benchmark-only -q -s

Jobs whose work per item is a PDF or a network call (rendering certificates and licences) are
out of scope for the rate and listed as such.
"""

import os
import time
from typing import cast

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from benchmarks.results import record
from compliance.services import jobs_registry
from members.models import Member
from tests.factories import UserFactory
from tests.job_work import IN_FORCE, arrange

MEMBERS = int(os.environ.get("JOBS_BENCH_MEMBERS", "10000"))
TARGET = 1000
# In the order they run: each leaves the next its work (opened reviews get reminders, ...).
JOBS = [
    "open_due_cycles",
    "send_reminders",
    "escalate_overdue",
    "expire_certificates",
    "expire_licences",
    "send_notification_digests",
    "check_document_validity",
    "notify_expired_auditor_grants",
    "expire_exports",
    "sweep_orphan_files",
    "start_response_windows",
]
OUT_OF_SCOPE = {
    "render_pending_certificates": "per-item PDF rendering",
    "resume_certificate_batches": "per-item PDF rendering",
    "render_missing_licence_pdfs": "per-item PDF rendering",
    "send_staff_digest": "one e-mail a day, no items",
}
# Jobs the screening benchmark measures, from the work it runs at scale.
MEASURED_ELSEWHERE = ["screen_pending_subjects", "screen_new_list_versions"]
# Jobs this benchmark does not give work to: the full re-screen marks every subject pending
# and runs the pending-subjects job over them (measured by the screening benchmark), so its
# own rate would be that one's.
NOT_MEASURED = ["rescreen_everyone"]


def _items(result: object) -> int:
    if isinstance(result, dict):
        return sum(result.values())
    return int(cast(int, result))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="at scale: PostgreSQL")
@pytest.mark.django_db
def test_periodic_jobs_at_scale(benchmark):
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)  # the figures are recorded below
    started = time.perf_counter()
    call_command("scale_seed", str(MEMBERS), "--batch", "2000", verbosity=0)
    print(f"\nseeded {MEMBERS:,} members in {time.perf_counter() - started:.0f} s")
    for _ in range(2):
        UserFactory(staff=True)  # customer policy staff, told of overdue reviews
    reverse("compliance:cycle_detail", args=[1])  # a worker builds its URL resolver once
    for name in JOBS:
        arrange(name)
        started, cpu = time.perf_counter(), time.process_time()
        items = _items(jobs_registry.JOBS[name]())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rate = items / elapsed
        # The process's own CPU time: the rest of the elapsed time is the database's, or
        # waiting for a CPU on a busy machine.
        print(f"{name}: {items:,} items in {elapsed:.1f} s ({cpu:.1f} s CPU) = {rate:,.0f}/s")
        record(
            "jobs",
            f"{name} at {MEMBERS:,} members ({items:,} items)",
            f"{rate:,.0f} items/s",
            f"≥ {TARGET:,} items/s",
            rate >= TARGET,
        )
        assert items >= MEMBERS // 20, f"{name} had too little work to measure"
        if name == "open_due_cycles":
            assert items == Member.objects.filter(licences__status__in=IN_FORCE).count()
    for name, why in OUT_OF_SCOPE.items():
        record("jobs", f"{name} ({why}: out of scope)", "", "", None)
    for name in NOT_MEASURED:
        record("jobs", f"{name} (not measured apart)", "", f"≥ {TARGET:,} items/s", None)
    everything = set(JOBS) | set(OUT_OF_SCOPE) | set(MEASURED_ELSEWHERE) | set(NOT_MEASURED)
    assert everything == set(jobs_registry.JOBS)
