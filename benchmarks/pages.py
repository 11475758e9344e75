"""Page benchmarks: the portal's heavy pages served by gunicorn on PostgreSQL, each reported as a
multiple of the anchor page (a bare Django page listing 25 rows) served the same way in the
same run, with its queries and body size, at two sizes of the database.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_bench \\
        python -m benchmarks.pages --sizes 1000 10000

The database is migrated, seeded (``seed_demo`` once, then ``scale_seed`` up to each size,
20 audit events per member) and left in place; it must be a scratch database of its own. With
``{size}`` in its name (``…/alliance_bench_{size}``) each size has a database of its own, kept
for the next run. Prints one table and records the figures for ``make bench``'s.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import record

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8765"))


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    who: str = ""  # "" anonymous, or the role whose session is used
    method: str = "GET"

    @property
    def limit(self) -> float:
        """The issue's bound as a multiple of the anchor: member pages 3x, every other 20x."""
        return 3.0 if self.who == "member" else 20.0


PAGES = [
    Page("anchor (25 rows, bare Django)", "/bench/anchor/"),
    Page("/register/", "/register/"),
    Page("/register/ page 20", "/register/?page=20"),
    Page("/register/?q=arctic", "/register/?q=arctic"),
    Page("/register.json", "/register.json"),
    Page("/register.json page 20", "/register.json?page=20"),
    Page("/api/v1/register", "/api/v1/register"),
    Page("/verify/<code>/", "/verify/{code}/"),
    Page("/auditor/ (grant for all)", "/auditor/", "auditor"),
    Page("/auditor/?q=polar", "/auditor/?q=polar", "auditor"),
    Page("/auditor/ page 20", "/auditor/?page=20", "auditor"),
    Page("/portal/ (member)", "/portal/", "member"),
    Page("admin: licences", "/admin/licensing/licenceagreement/", "staff"),
    Page(
        "admin: licences by member",
        "/admin/licensing/licenceagreement/?member__id__exact={member}",
        "staff",
    ),
    Page("admin: audit events", "/admin/alliance_portal/auditevent/", "staff"),
    Page(
        "admin: audit by action",
        "/admin/alliance_portal/auditevent/?action__exact=licence.signed",
        "staff",
    ),
    Page("admin: audit search", "/admin/alliance_portal/auditevent/?q=scale42%40", "staff"),
    Page(
        "admin: certificate search",
        "/admin/compliance/compliancecertificate/?q=CS-0000004",
        "staff",
    ),
    Page("admin: members search", "/admin/members/member/?q=arctic", "staff"),
    Page("admin: documents", "/admin/alliance_portal/document/", "staff"),
    Page("workbench: home (what needs doing)", "/admin/", "staff"),
    Page("workbench: member 360°", "/admin/workbench/member/{member}/", "staff"),
    Page("workbench: charts", "/admin/workbench/charts/", "staff"),
    Page("workbench: calendar", "/admin/workbench/calendar/", "staff"),
]
# Reported apart: it grows with N by design (every granted member), streamed.
EXPORTS = [Page("/auditor/members.csv (streamed)", "/auditor/members.csv", "auditor")]


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


SETUP = """
from datetime import date
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from alliance_portal.roles import AUDITORS_GROUP
from compliance.models import AuditorGrant, ComplianceCertificate
from members.models import Member, User
from django.contrib.auth.models import Group

def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

staff = User.objects.get(email="staff@example.com")
auditor, _ = User.objects.get_or_create(email="bench-auditor@example.com")
auditor.groups.add(Group.objects.get(name=AUDITORS_GROUP))
AuditorGrant.objects.get_or_create(
    auditor=auditor, member=None, defaults={"expires_on": date(2099, 1, 1), "granted_by": staff}
)
member = User.objects.get(email="member@example.com")
code = ComplianceCertificate.objects.filter(status="issued").order_by("pk").first().verification_code
member_id = Member.objects.order_by("-pk").first().pk
print(session(auditor), session(staff), session(member), code, member_id)
"""


def sessions(env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    out = manage("shell", "-c", SETUP, env=env).split()
    auditor, staff, member, code, member_id = out[-5:]
    return {"auditor": auditor, "staff": staff, "member": member}, {
        "code": code,
        "member": member_id,
    }


FIRST_BYTES: dict[str, float] = {}
FIRST_BYTES_BY_SIZE: dict[int, dict[str, float]] = {}


def fetch(page: Page, cookie: str, values: dict[str, str]) -> tuple[float, int, int, int]:
    """(seconds, status, body bytes, queries) of one request; the seconds to the response's
    headers (its first bytes, for a streamed one) are kept in ``FIRST_BYTES[page.label]``."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    headers = {"Host": "127.0.0.1", "Accept-Language": "en"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    started = time.perf_counter()
    conn.request(page.method, page.path.format(**values), headers=headers)
    response = conn.getresponse()
    FIRST_BYTES[page.label] = time.perf_counter() - started
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    queries = int(response.getheader("X-Bench-Queries") or -1)
    if response.getheader("Content-Type", "").startswith("text/csv"):  # streamed
        conn.request("GET", "/bench/streamed-queries/", headers={"Host": "127.0.0.1"})
        queries = json.loads(conn.getresponse().read())["queries"]
    return elapsed, response.status, len(body), queries


def measure(pages: list[Page], cookies: dict[str, str], values: dict[str, str], rounds: int):
    """Per page: (median seconds, its multiple of the anchor, status, bytes, queries). The
    anchor is requested right before each request of the page, and the multiple is taken
    between those pairs: a machine whose load changes during the run moves both alike."""
    anchor = pages[0]
    results = {}
    for page in pages:
        cookie = cookies.get(page.who, "")
        fetch(page, cookie, values)  # warm: templates, connections, caches as in service
        timings, anchors, status, size, queries = [], [], 0, 0, 0
        for _round in range(rounds):
            anchors.append(fetch(anchor, "", values)[0])
            elapsed, status, size, queries = fetch(page, cookie, values)
            timings.append(elapsed)
        median = statistics.median(timings)
        results[page.label] = (median, median / statistics.median(anchors), status, size, queries)
    return results


def worker_rss_kb(server: subprocess.Popen[bytes]) -> int:
    """Resident memory of gunicorn's (one) worker process, in KB."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            PYTHON,
            "-m",
            "gunicorn",
            "alliance_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _attempt in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/healthz")
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


# 20 audit events per member: 2 million at 100,000 members, as the issue measures.
EVENTS = ("--events-per-member", "20")


def prepare(env: dict[str, str]) -> None:
    """Migrate the database and seed the demo once."""
    manage("migrate", "-v0", env=env)
    seeded = "from members.models import User; print(User.objects.filter(is_staff=True).exists())"
    if "True" not in manage("shell", "-c", seeded, env=env):
        manage(
            "seed_demo",
            env={
                **env,
                "DJANGO_DEBUG": "true",
                "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.local",
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set BENCH_DATABASE_URL to a scratch PostgreSQL database.")
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONPATH": str(ROOT),
    }
    base_env.pop("CELERY_BROKER_URL", None)
    base_env.pop("REDIS_URL", None)  # the page cache is per process, as with one worker
    by_size, growth = {}, {}
    for size in sorted(args.sizes):
        # "{size}" in the address: one database per size, kept for the next run.
        env = {**base_env, "DATABASE_URL": url.format(size=size)}
        prepare(env)
        have = int(
            manage(
                "shell",
                "-c",
                "from members.models import Member; print(Member.objects.count())",
                env=env,
            ).split()[-1]
        )
        if have < size:
            started = time.monotonic()
            manage("scale_seed", str(size - have), "--batch", "2000", *EVENTS, env=env)
            print(
                f"seeded {size - have} members in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
            )
        manage(
            "shell",
            "-c",
            # What autovacuum does on a live database: the statistics, and the dead rows of
            # the seeding (each audit row is written, then chained) cleared.
            "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')",
            env=env,
        )
        cookies, values = sessions(env)
        server = serve(env)
        try:
            fetch(PAGES[0], "", values)
            rss_before = worker_rss_kb(server)
            by_size[size] = measure(PAGES + EXPORTS, cookies, values, args.rounds)
            FIRST_BYTES_BY_SIZE[size] = dict(FIRST_BYTES)
            growth[size] = (worker_rss_kb(server) - rss_before) / 1024
        finally:
            server.terminate()
            server.wait()
    print_table(by_size)
    record_results(by_size, growth)


def record_results(by_size, growth) -> None:
    """The figures for `make bench`'s table: each page's multiple of the anchor at each size,
    whether its queries and body do not grow from the smallest size to the largest, the
    slowest request, and the worker's growth over the run."""
    sizes = sorted(by_size)
    for page in PAGES[1:]:
        for size in sizes:
            seconds, ratio, status, _body, queries = by_size[size][page.label]
            record(
                "pages",
                f"{page.label} at {size:,} members ({queries} queries)",
                f"{ratio:.1f}x anchor, {seconds * 1000:.0f} ms",
                f"≤ {page.limit:.0f}x, < 1 s",
                status == 200 and ratio <= page.limit and seconds < 1,
            )
        if len(sizes) > 1:
            first, last = by_size[sizes[0]][page.label], by_size[sizes[-1]][page.label]
            body_growth = last[3] / first[3]
            record(
                "pages",
                f"{page.label}: queries and body {sizes[0]:,} -> {sizes[-1]:,} members",
                f"{first[4]} -> {last[4]} queries, {first[3] / 1024:.1f} -> {last[3] / 1024:.1f} KB",
                "queries and body not growing",
                # Fewer is fine: a list counted exactly when small takes the estimate when large.
                last[4] <= first[4] and body_growth < 1.1,
            )
    for size in sizes:
        for page in EXPORTS:
            seconds, _ratio, status, body, queries = by_size[size][page.label]
            record(
                "pages",
                f"{page.label} at {size:,} members (every member, by design)",
                f"{seconds:.1f} s, {body / 1024:,.0f} KB, {queries} queries",
            )
            first = FIRST_BYTES_BY_SIZE[size][page.label]
            record(
                "pages",
                f"{page.label} at {size:,} members: first bytes",
                f"{first * 1000:.0f} ms",
                "< 1 s",
                status == 200 and first < 1,
            )
        record(
            "pages",
            f"gunicorn worker growth over the run at {size:,} members",
            f"{growth[size]:.0f} MB",
            "≤ 100 MB",
            growth[size] <= 100,
        )


def print_table(by_size) -> None:
    sizes = sorted(by_size)
    head = ["page"]
    for size in sizes:
        head += [f"{size:,} ms", "× anchor", "queries", "KB"]
    rows = []
    for page in PAGES + EXPORTS:
        row = [page.label]
        for size in sizes:
            seconds, ratio, status, body, queries = by_size[size][page.label]
            mark = "" if status == 200 else f" ({status})"
            row += [
                f"{seconds * 1000:.1f}{mark}",
                f"{ratio:.1f}",
                str(queries),
                f"{body / 1024:.1f}",
            ]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
