"""Exports in Chromium: the list's buttons, the background job's page polling until done."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from alliance_portal.exports import export_job_run
from alliance_portal.models import ExportJob
from tests.alliance_portal.test_exports import MEMBERS_HEADER, member_row, workbook_rows
from tests.factories import MemberFactory, UserFactory
from tests.helpers import login_with_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user) -> None:
    """The session a password and TOTP login leaves, handed to the browser."""
    client = Client()
    login_with_mfa(client, user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_a_long_filtered_list_is_prepared_and_downloaded(page, live_server, settings, tmp_path):
    settings.ALLIANCE_EXPORT_INLINE_ROWS = 2
    belgian = sorted(
        (MemberFactory(country="BE") for _ in range(3)), key=lambda member: member.legal_name
    )
    MemberFactory(country="NL")
    sign_in(page, live_server, UserFactory(staff=True))
    page.goto("/admin/members/member/?country=BE")
    page.get_by_role("link", name="Export XLSX").click()
    expect(page.get_by_text("This list has 3 rows.")).to_be_visible()
    page.get_by_role("button", name="Prepare the XLSX file").click()
    # Embedded default: the job ran right after the commit, so the page has the file at once.
    link = page.get_by_role("link", name="Download the XLSX file")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "members.xlsx"
    download.value.save_as(path)
    assert workbook_rows(path.read_bytes()) == [MEMBERS_HEADER, *map(member_row, belgian)]


def test_the_progress_page_follows_the_job_until_its_file_is_ready(page, live_server):
    MemberFactory()
    staff = UserFactory(staff=True)
    job = ExportJob.objects.create(
        requested_by=staff,
        model_label="members.member",
        file_format="csv",
        language="en",
        status=ExportJob.Status.RUNNING,
        # Its worker died long ago: the next run takes it over.
        started_at=timezone.now() - timedelta(hours=2),
        rows_total=1,
    )
    sign_in(page, live_server, staff)
    page.goto(f"/admin/exports/{job.pk}/")
    expect(page.get_by_text("Running")).to_be_visible()
    expect(page.get_by_role("link", name="Download the CSV file")).to_have_count(0)
    export_job_run(job_id=str(job.pk))
    # No reload: htmx polls the status every two seconds.
    expect(page.get_by_role("link", name="Download the CSV file")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("100%", exact=False)).to_be_visible()
