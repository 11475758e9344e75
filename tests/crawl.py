"""Every page a demo role can reach, found by following the pages' own links on a seeded
database. Shared by the responsive and the Russian crawls (tests/test_responsive.py,
tests/test_russian.py)."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urldefrag, urlsplit

import lxml.html
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings

from members.models import User
from tests.helpers import login_with_mfa
from trust.management.commands.seed_trust_demo import DEMO_REPORT_TOKEN

# The roles whose pages the crawls cover (the portal, the auditor area and the public site);
# None is a visitor who has not logged in.
ROLES: list[str | None] = [
    None,
    "member@example.com",
    "officer@example.com",
    "auditor@example.com",
    "applicant@example.com",
]
# The demo's concluded report: its status page is reached only by its private link.
DEMO_REPORT_STATUS = f"/report/status/{DEMO_REPORT_TOKEN}/"
STARTS = ["/", "/portal/", "/auditor/", "/register/", "/verify/", "/report/", DEMO_REPORT_STATUS]
# The portal's own pages; the admin (staff, a different look), allauth's account pages and
# machine-readable addresses are not part of it.
SECTIONS = ("/portal/", "/auditor/", "/register/", "/verify/", "/report/")
SKIP = ("/register.json", "/verify/?code=")
MAX_PAGES = 120


def seed_demo() -> None:
    """Seed the demo data in a thread of its own (so the test needs a transactional database):
    once a browser test has started Chromium, Playwright's event loop runs in the test's
    thread, and the certificate's PDF signing (pyHanko) needs a thread without one."""

    def seed() -> None:
        try:
            with override_settings(DEBUG=True):
                call_command("seed_demo", stdout=io.StringIO())
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(seed).result()


def _in_scope(path: str) -> bool:
    return (path == "/" or path.startswith(SECTIONS)) and not path.startswith(SKIP)


def client_for(email: str | None) -> Client:
    client = Client()
    if email is not None:
        login_with_mfa(client, User.objects.get(email=email))
    return client


def pages_for(email: str | None, demo_verify_path: str) -> list[str]:
    """The HTML pages reachable for the role from the starts, by GET links only."""
    client = client_for(email)
    queue = deque([*STARTS, demo_verify_path])
    seen: set[str] = set(queue)
    pages: list[str] = []
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages.append(path)
        tree = lxml.html.fromstring(response.content)
        for href in tree.xpath("//a/@href"):
            url, _fragment = urldefrag(href)
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue  # another site, mailto:, or a fragment on the same page
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if _in_scope(parts.path) and target not in seen:
                seen.add(target)
                queue.append(target)
    return pages


def demo_verify_path() -> str:
    from compliance.management.commands.seed_demo import DEMO_VERIFICATION_CODE

    return f"/verify/{DEMO_VERIFICATION_CODE}/"


@contextmanager
def browser_session(browser: Any, base_url: str, email: str | None, language: str) -> Iterator[Any]:
    """A Chromium page signed in as ``email`` (the session of a test client) in ``language``."""
    from django.conf import settings

    context = browser.new_context(base_url=base_url)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    if email is not None:
        session = client_for(email).cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url})
    context.add_cookies(cookies)
    try:
        yield context.new_page()
    finally:
        context.close()
