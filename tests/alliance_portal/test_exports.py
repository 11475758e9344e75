"""Admin list exports: the rows the list shows, as CSV or XLSX, at once or by a job."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, ExportJob
from members.models import Member, RiskRating
from tests.factories import MemberFactory, UserFactory, licence_in
from tests.helpers import login_with_mfa

MEMBERS_HEADER = [
    "Legal name",
    "Registration number",
    "Country",
    "Kimberley Process registration",
    "Long-term contract reference",
    "Risk rating",
    "Approved at",
    "Listed in the public register",
]


def export_url(model: str, file_format: str, query: str = "") -> str:
    url = reverse(f"admin:{model}_export", args=[file_format])
    return f"{url}?{query}" if query else url


def workbook_rows(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # spreadsheets read the file as UTF-8
    return list(csv.reader(io.StringIO(content[1:])))


def member_row(member: Member) -> list[object]:
    """A member as the list shows it, written out by hand."""
    return [
        member.legal_name,
        member.registration_number,
        member.country.name,
        member.kp_registration,
        member.contract_reference,
        {"low": "Low", "medium": "Medium", "high": "High"}[member.risk_rating],
        timezone.localtime(member.approved_at).replace(microsecond=0).isoformat(),
        "Yes" if member.public_listing_consent else "No",
    ]


@pytest.fixture
def staff_client(client, staff_user):
    login_with_mfa(client, staff_user)
    return client


@pytest.fixture
def members(db):
    """Belgian and Russian members, one of them a high risk, in no particular order."""
    return [
        MemberFactory(legal_name="Zeta Diamonds BV", country="BE", public_listing_consent=True),
        MemberFactory(legal_name="Alpha Rough NV", country="BE", risk_rating=RiskRating.HIGH),
        MemberFactory(legal_name="Mirny Trading", country="RU"),
        MemberFactory(legal_name="Beta Polished BVBA", country="BE"),
        MemberFactory(legal_name="Antwerp Alpha Gems", country="AE"),
    ]


# --- what is exported ----------------------------------------------------------------------


@pytest.mark.django_db
def test_members_xlsx_filtered_by_country_holds_exactly_the_filtered_rows(staff_client, members):
    response = staff_client.get(export_url("members_member", "xlsx", "country=BE"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = workbook_rows(b"".join(response.streaming_content))
    belgian = sorted((m for m in members if m.country.code == "BE"), key=lambda m: m.legal_name)
    assert rows == [MEMBERS_HEADER, *[member_row(m) for m in belgian]]


@pytest.mark.django_db
def test_members_xlsx_follows_the_search_and_the_chosen_ordering(staff_client, members):
    response = staff_client.get(export_url("members_member", "xlsx", "q=alpha&o=-0"))
    rows = workbook_rows(b"".join(response.streaming_content))
    # Searched across legal names; ordered by the first column, descending, as the list is.
    expected = sorted(
        (m for m in members if "alpha" in m.legal_name.lower()),
        key=lambda m: m.legal_name,
        reverse=True,
    )
    assert [row[0] for row in rows[1:]] == [m.legal_name for m in expected]
    assert rows[1:] == [member_row(m) for m in expected]


@pytest.mark.django_db
def test_the_export_holds_every_page_of_the_list(staff_client, members, monkeypatch):
    from members.admin import MemberAdmin

    monkeypatch.setattr(MemberAdmin, "list_per_page", 2)
    page = staff_client.get(reverse("admin:members_member_changelist") + "?p=2")
    assert page.status_code == 200
    # The page the export was started from neither cuts it nor, once the list has grown
    # shorter than that page, refuses it.
    for page_number in ("2", "9"):
        response = staff_client.get(export_url("members_member", "csv", f"p={page_number}"))
        assert len(csv_rows(response)) == 1 + len(members)


@pytest.mark.django_db
def test_the_csv_export_has_the_same_rows_as_the_workbook(staff_client, members):
    workbook = workbook_rows(
        b"".join(staff_client.get(export_url("members_member", "xlsx")).streaming_content)
    )
    text = csv_rows(staff_client.get(export_url("members_member", "csv")))
    assert text == [[str(value) for value in row] for row in workbook]
    assert len(text) == 1 + len(members)


@pytest.mark.django_db
def test_the_list_shows_the_export_buttons_with_its_filters(staff_client, members):
    page = staff_client.get(reverse("admin:members_member_changelist") + "?country=BE")
    html = page.content.decode()
    assert "Export CSV" in html and "Export XLSX" in html
    assert export_url("members_member", "xlsx", "country=BE") in html


@pytest.mark.django_db
def test_html_columns_are_exported_as_their_text(staff_client):
    from tests.factories import complete_application

    application = complete_application(status="submitted")
    type(application).objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - timedelta(days=40)
    )
    response = staff_client.get(export_url("members_application", "csv"))
    rows = csv_rows(response)
    header, row = rows[0], rows[1]
    # The list paints the overdue count red; the file holds its words.
    assert row[header.index("Review target")] == "10 days overdue"
    assert "<" not in "".join(row)


@pytest.mark.django_db
def test_the_export_is_in_the_language_of_the_request(staff_client, members):
    staff_client.cookies["django_language"] = "ru"
    rows = workbook_rows(
        b"".join(staff_client.get(export_url("members_member", "xlsx")).streaming_content)
    )
    assert rows[0][0] == "Юридическое наименование"
    assert {row[7] for row in rows[1:]} <= {"Да", "Нет"}


# --- formulas ------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=cmd"]


@pytest.mark.django_db
def test_csv_cells_a_spreadsheet_would_run_are_made_inert(staff_client):
    for text in FORMULAS:
        MemberFactory(legal_name=text)
    rows = csv_rows(staff_client.get(export_url("members_member", "csv")))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted("'" + text for text in FORMULAS)


@pytest.mark.django_db
def test_xlsx_cells_a_spreadsheet_would_run_are_text_not_formulas(staff_client):
    for text in FORMULAS:
        MemberFactory(legal_name=text)
    content = b"".join(staff_client.get(export_url("members_member", "xlsx")).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert sorted(cell.value for cell in cells) == sorted("'" + text for text in FORMULAS)
    assert {cell.data_type for cell in cells} == {"s"}


@pytest.mark.django_db
def test_control_characters_xlsx_cannot_hold_do_not_break_the_export(staff_client):
    MemberFactory(legal_name="Bell\x07 Diamonds")
    rows = workbook_rows(
        b"".join(staff_client.get(export_url("members_member", "xlsx")).streaming_content)
    )
    assert rows[1][0] == "Bell Diamonds"


# --- who may export ------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_the_view_permission_get_403_and_with_it_the_file(client, members):
    clerk = UserFactory(staff=True)
    clerk.groups.clear()  # staff, but no permission on members
    login_with_mfa(client, clerk)
    url = export_url("members_member", "xlsx")
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()
    from django.contrib.auth.models import Permission

    clerk.user_permissions.add(Permission.objects.get(codename="view_member"))
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_people_who_are_not_staff_are_sent_to_the_login(client, members):
    login_with_mfa(client, UserFactory())
    response = client.get(export_url("members_member", "csv"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_an_export_is_audited_with_its_filters_and_row_count(staff_client, staff_user, members):
    staff_client.get(export_url("members_member", "csv", "country=BE"))
    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.actor == staff_user
    assert event.payload == {
        "list": "members.member",
        "format": "csv",
        "filters": "country=BE",
        "rows": 3,
    }


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_format_is_404(staff_client, members):
    assert staff_client.get(export_url("members_member", "xls")).status_code == 404


@pytest.mark.django_db
def test_filters_the_list_refuses_are_400_and_nothing_is_recorded(staff_client, members):
    # A lookup across a relation the list does not offer, and a date that is not one.
    refused = export_url("licensing_licenceagreement", "csv", "member__address__contains=x")
    assert staff_client.get(refused).status_code == 400
    response = staff_client.get(
        export_url("members_application", "xlsx", "submitted_at__gte=not-a-date")
    )
    assert response.status_code == 400
    assert "not valid for this list" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="export.").exists()
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_a_query_too_long_to_keep_is_400(staff_client, members):
    response = staff_client.get(export_url("members_member", "csv", "q=" + "a" * 2100))
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


# --- queries -------------------------------------------------------------------------------


def _count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_queries_of_an_export_do_not_grow_with_its_rows(
    staff_client, file_format, django_assert_max_num_queries
):
    """The licence list shows each licence's member and country: one join, not a query a row."""
    for _ in range(3):
        licence_in("active")
    url = export_url("licensing_licenceagreement", file_format)
    _count_queries(staff_client, url)  # the first request fills per-process caches
    few = _count_queries(staff_client, url)
    for _ in range(12):
        licence_in("active")
    with django_assert_max_num_queries(few):
        response = staff_client.get(url)
        rows = b"".join(response.streaming_content)
    assert rows
    assert _count_queries(staff_client, url) == few


# --- every staff list ----------------------------------------------------------------------

STAFF_LISTS = [
    "members_member",
    "members_application",
    "members_user",
    "members_invitation",
    "licensing_licenceagreement",
    "compliance_reviewcycle",
    "compliance_finding",
    "compliance_forfeiturecase",
    "compliance_compliancecertificate",
    "compliance_auditorgrant",
    "alliance_portal_auditevent",
    "alliance_portal_document",
    "alliance_portal_outboxmessage",
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", STAFF_LISTS)
def test_every_staff_list_exports_its_rows(client, model):
    from tests.factories import cycle_for

    cycle_for("accepted")  # a member, its licence, an accepted review, audit events, e-mails
    superuser = UserFactory(staff=True, is_superuser=True)
    login_with_mfa(client, superuser)
    changelist = client.get(reverse(f"admin:{model}_changelist"))
    assert changelist.status_code == 200
    assert "Export XLSX" in changelist.content.decode()
    shown = changelist.context["cl"].result_count
    response = client.get(export_url(model, "xlsx"))
    assert response.status_code == 200
    rows = workbook_rows(b"".join(response.streaming_content))
    # The audit log's export holds its own event: recorded before the rows are read.
    recorded = 1 if model == "alliance_portal_auditevent" else 0
    assert len(rows) == 1 + shown + recorded
    assert all(isinstance(label, str) and label for label in rows[0])


# --- long lists: a background job ----------------------------------------------------------


@pytest.fixture
def short_limit(settings):
    settings.ALLIANCE_EXPORT_INLINE_ROWS = 2
    return settings


def start_job(client, model: str, file_format: str, query: str, capture) -> ExportJob:
    url = export_url(model, file_format, query)
    offer = client.get(url)
    assert offer.status_code == 200 and '<form method="post">' in offer.content.decode()
    with capture(execute=True):  # the commit hands the task to the (inline) outbox relay
        response = client.post(url)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job", args=[job.pk])
    return job


@pytest.mark.django_db
def test_a_long_list_is_exported_by_a_job_that_only_its_requester_downloads(
    client, short_limit, members, django_capture_on_commit_callbacks
):
    requester = UserFactory(staff=True)
    login_with_mfa(client, requester)
    job = start_job(
        client, "members_member", "xlsx", "country=BE&q=a", django_capture_on_commit_callbacks
    )
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert (job.rows_done, job.rows_total) == (3, 3)
    assert job.requested_by == requester and job.query == "country=BE&q=a"
    page = client.get(reverse("exports:job", args=[job.pk])).content.decode()
    download = reverse("exports:download", args=[job.pk])
    assert download in page and "100%" in page
    # Someone else on the staff: neither the page nor the file, as if they did not exist.
    other = UserFactory(staff=True)
    other_client = type(client)()
    login_with_mfa(other_client, other)
    assert other_client.get(reverse("exports:job", args=[job.pk])).status_code == 404
    assert other_client.get(download).status_code == 404
    assert job.model_label not in other_client.get(reverse("exports:list")).content.decode()
    # The requester gets the filtered rows, and the download is audited.
    response = client.get(download)
    assert response.status_code == 200
    rows = workbook_rows(b"".join(response.streaming_content))
    belgian_a = sorted(
        (m for m in members if m.country.code == "BE" and "a" in m.legal_name.lower()),
        key=lambda m: m.legal_name,
    )
    assert rows == [MEMBERS_HEADER, *[member_row(m) for m in belgian_a]]
    actions = list(
        AuditEvent.objects.filter(target_id=str(job.pk))
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [("export.requested", requester.pk), ("export.downloaded", requester.pk)]


@pytest.mark.django_db
def test_a_job_writes_csv_in_the_requesters_language(
    client, short_limit, members, django_capture_on_commit_callbacks
):
    login_with_mfa(client, UserFactory(staff=True))
    client.cookies["django_language"] = "ru"
    job = start_job(client, "members_member", "csv", "", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.language == "ru" and job.status == ExportJob.Status.DONE
    rows = csv_rows(client.get(reverse("exports:download", args=[job.pk])))
    assert rows[0][0] == "Юридическое наименование"
    assert len(rows) == 1 + len(members)


@pytest.mark.django_db
def test_a_requester_who_lost_the_permission_loses_the_export(
    client, short_limit, members, django_capture_on_commit_callbacks
):
    requester = UserFactory(staff=True)
    login_with_mfa(client, requester)
    job = start_job(client, "members_member", "csv", "", django_capture_on_commit_callbacks)
    download = reverse("exports:download", args=[job.pk])
    assert client.head(download).status_code == 200
    requester.groups.clear()
    assert client.get(download).status_code == 403


@pytest.mark.django_db
def test_the_progress_page_polls_until_the_job_ends(client, staff_user):
    login_with_mfa(client, staff_user)
    job = ExportJob.objects.create(
        requested_by=staff_user,
        model_label="members.member",
        file_format="xlsx",
        language="en",
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now(),
        rows_total=4000,
        rows_done=1000,
    )
    url = reverse("exports:job", args=[job.pk])
    page = client.get(url).content.decode()
    assert "Export of “Members”" in page and "25%" in page and "1,000 of 4,000 rows" in page
    assert 'hx-trigger="every 2s"' in page and "htmx.min.js" in page
    assert "Download" not in page
    # htmx asks for the part that changes: no page around it.
    ExportJob.objects.filter(pk=job.pk).update(rows_done=3000)
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "75%" in part and "<html" not in part and 'hx-trigger="every 2s"' in part
    # Once failed, the part says why and stops polling.
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="The export stopped.")
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "The export stopped." in part and "hx-trigger" not in part


@pytest.mark.django_db
def test_a_job_whose_requester_lost_the_permission_fails_with_a_reason(
    client, short_limit, members
):
    from alliance_portal.exports import export_job_run

    clerk = UserFactory(staff=True)
    clerk.groups.clear()
    job = ExportJob.objects.create(
        requested_by=clerk, model_label="members.member", file_format="csv", language="en"
    )
    export_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "You may no longer export this list."
    assert job.file_name == "" and job.finished_at is not None


@pytest.mark.django_db
def test_a_job_already_done_or_being_written_is_left_alone(staff_user, members, private_media):
    from alliance_portal.exports import export_job_run

    job = ExportJob.objects.create(
        requested_by=staff_user, model_label="members.member", file_format="csv", language="en"
    )
    export_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    done = (job.status, job.file_name, job.finished_at)
    assert job.status == ExportJob.Status.DONE
    export_job_run(job_id=str(job.pk))  # the broker delivered the task twice
    job.refresh_from_db()
    assert (job.status, job.file_name, job.finished_at) == done
    assert len(list((private_media / "exports").rglob("*.csv"))) == 1
    running = ExportJob.objects.create(
        requested_by=staff_user,
        model_label="members.member",
        file_format="csv",
        language="en",
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now(),
    )
    assert export_job_run(job_id=str(running.pk)) is None  # a live run has it
    running.refresh_from_db()
    assert running.status == ExportJob.Status.RUNNING


@pytest.mark.django_db
def test_a_job_whose_worker_died_long_ago_is_taken_over(staff_user, members):
    from alliance_portal.exports import export_job_run

    job = ExportJob.objects.create(
        requested_by=staff_user,
        model_label="members.member",
        file_format="xlsx",
        language="en",
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),
        rows_done=2,
    )
    export_job_run(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == len(members)


# --- the clean-up job ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_clean_up_job_removes_old_files_and_gives_up_lost_jobs(
    client, staff_user, members, private_media
):
    import os

    from alliance_portal.exports import export_job_run
    from compliance.services.jobs_registry import JOBS

    login_with_mfa(client, staff_user)
    old, fresh = (
        ExportJob.objects.create(
            requested_by=staff_user, model_label="members.member", file_format="csv", language="en"
        )
        for _ in range(2)
    )
    for job in (old, fresh):
        export_job_run(job_id=str(job.pk))
        job.refresh_from_db()
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    lost = ExportJob.objects.create(
        requested_by=staff_user,
        model_label="members.member",
        file_format="csv",
        language="ru",
        status=ExportJob.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),
    )
    # A file a run wrote but never recorded (it died, or lost a race), three hours ago.
    stray = private_media / "exports" / "2026" / "01" / "stray.csv"
    stray.parent.mkdir(parents=True)
    stray.write_text("x")
    three_hours_ago = timezone.now().timestamp() - 3 * 3600
    os.utime(stray, (three_hours_ago, three_hours_ago))

    assert JOBS["expire_exports"]() == {"expired": 1, "given_up": 1, "orphans": 1}

    old.refresh_from_db()
    fresh.refresh_from_db()
    lost.refresh_from_db()
    assert old.status == ExportJob.Status.EXPIRED and old.file_name == ""
    assert client.get(reverse("exports:download", args=[old.pk])).status_code == 404
    assert not stray.exists()
    assert fresh.status == ExportJob.Status.DONE
    assert client.get(reverse("exports:download", args=[fresh.pk])).status_code == 200
    assert lost.status == ExportJob.Status.FAILED
    assert lost.error == "Экспорт не завершился. Запустите его ещё раз."
    assert sorted(p.name for p in (private_media / "exports").rglob("*.csv")) == [f"{fresh.pk}.csv"]
    # Nothing left to do the second time.
    assert JOBS["expire_exports"]() == {"expired": 0, "given_up": 0, "orphans": 0}


def test_the_clean_up_runs_every_hour_from_the_beat():
    from alliance_portal.celery import app

    entry = app.conf.beat_schedule["expire-exports"]
    assert entry["task"] == "compliance.tasks.run_job" and entry["args"] == ["expire_exports"]


@pytest.mark.django_db
def test_the_demo_has_a_ready_export_for_each_staff_login(
    client, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    settings.DEBUG = True
    settings.ALLIANCE_REQUIRE_MFA = False  # the demo logins have not enrolled
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")  # run again (every `make run`): no second export
    for email in ("staff@example.com", "decider@example.com"):
        job = ExportJob.objects.get(requested_by__email=email)
        assert job.status == ExportJob.Status.DONE and job.rows_done == Member.objects.count()
        login_with_mfa(client, job.requested_by)
        assert (
            reverse("exports:download", args=[job.pk])
            in client.get(reverse("exports:list")).content.decode()
        )
        rows = workbook_rows(
            b"".join(client.get(reverse("exports:download", args=[job.pk])).streaming_content)
        )
        assert rows[0] == MEMBERS_HEADER and len(rows) == 1 + Member.objects.count()
