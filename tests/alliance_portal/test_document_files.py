"""Document files on disk: written aside, moved into place by the commit, swept when orphaned,
owner-only, and a storage that cannot take a file answers 503 leaving nothing behind."""

import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents import (
    discard_file_on_rollback,
    document_read,
    document_store,
    document_store_generated,
    orphan_files_sweep,
)
from alliance_portal.documents.storage import file_move_into_place
from alliance_portal.models import AuditEvent, Document
from members.models import ApplicationDocument, DocumentRequirement
from members.services import application_attach_document
from tests.factories import ApplicationFactory, UserFactory, cycle_for, signatory_of
from tests.files import multipart, pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "The portal cannot save files just now, so nothing was saved."


def files_under(root: Path) -> list[str]:
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def upload(client, application, filename: str, data: bytes, **headers):
    client.force_login(application.applicant)
    requirement = DocumentRequirement.objects.get(code="certificate-of-incorporation")
    body, content_type = multipart(
        {"requirement": str(requirement.pk), "issued_on": str(timezone.localdate())},
        [("file", filename, data)],
    )
    return client.post(
        reverse("portal:application_upload", args=[application.pk]),
        data=body,
        content_type=content_type,
        headers=headers,
    )


def age(path: Path, minutes: int) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then))


def assert_nothing_saved(private_media: Path) -> None:
    assert not Document.objects.exists()
    assert not ApplicationDocument.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="document.").exists()
    assert not AuditEvent.objects.filter(action="application.document_added").exists()
    assert files_under(private_media) == []


@pytest.fixture
def unwritable_storage(private_media):
    """The private media folder made unwritable for real. chmod does not stop root, so when
    the tests run as root the folder is replaced by an empty file: nothing can be created
    under it either."""
    private_media.mkdir(parents=True, exist_ok=True)
    private_media.chmod(0o500)
    probe = private_media / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        yield "chmod 0o500"
        private_media.chmod(0o700)
        return
    probe.unlink()
    private_media.chmod(0o700)
    private_media.rmdir()
    private_media.write_bytes(b"")
    yield "a file where the folder should be"
    private_media.unlink()


@pytest.fixture
def full_disk():
    """Writes past 1 MB fail with EFBIG in this process (RLIMIT_FSIZE binds root too), as a
    disk that fills up during the write: the first megabyte is written, then the write fails."""
    limit = 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.django_db
class TestStorageUnavailable:
    def test_unwritable_storage_answers_503_and_saves_nothing(
        self, client, private_media, unwritable_storage
    ):
        application = ApplicationFactory()
        response = upload(client, application, "scan.pdf", pdf_bytes())
        assert response.status_code == 503, unwritable_storage
        html = response.content.decode()
        assert "Files cannot be saved just now" in html
        assert MESSAGE in html
        assert_nothing_saved(private_media)

    def test_in_russian(self, client, private_media, unwritable_storage):
        application = ApplicationFactory()
        client.cookies["django_language"] = "ru"
        response = upload(client, application, "scan.pdf", pdf_bytes())
        assert response.status_code == 503
        html = response.content.decode()
        assert "Файлы сейчас нельзя сохранить" in html
        assert "Портал сейчас не может сохранять файлы" in html

    def test_a_disk_full_mid_write_leaves_no_partial_file(self, client, private_media, full_disk):
        application = ApplicationFactory()
        content = pdf_bytes() + b"\0" * (full_disk + 512 * 1024)
        response = upload(client, application, "large.pdf", content)
        assert response.status_code == 503
        assert MESSAGE in response.content.decode()
        assert_nothing_saved(private_media)

    def test_htmx_upload_reloads_the_page_which_shows_the_message(
        self, client, private_media, unwritable_storage
    ):
        cycle = cycle_for("open")
        criterion = cycle.answers.first().criterion
        client.force_login(signatory_of(cycle.member))
        body, content_type = multipart(
            {"issued_on": str(timezone.localdate())}, [("file", "proof.pdf", pdf_bytes())]
        )
        response = client.post(
            reverse("compliance:evidence_upload", args=[cycle.pk, criterion.pk]),
            data=body,
            content_type=content_type,
            headers={"hx-request": "true"},
        )
        assert response.status_code == 503
        assert response["HX-Refresh"] == "true"
        page = client.get(reverse("compliance:cycle_detail", args=[cycle.pk]))
        assert MESSAGE in page.content.decode()
        assert not Document.objects.exists()
        assert cycle.answers.get(criterion=criterion).evidence.count() == 0


@pytest.mark.django_db
def test_private_files_and_folders_are_owner_only(
    private_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_store_generated(
            name="AA-2025-0001-signed.pdf", content=pdf_bytes(), content_type="application/pdf"
        )
    assert (private_media / document.storage_name).is_file()  # moved into its folder
    paths = [private_media, *private_media.rglob("*")]
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


@pytest.mark.django_db
class TestMovedIntoPlaceByTheCommit:
    def test_written_aside_until_the_commit(
        self, private_media, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            document = document_store(
                actor=UserFactory(), uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes())
            )
        assert files_under(private_media) == [f"incoming/{document.storage_name}"]
        assert document_read(document) == pdf_bytes()  # the row's own transaction reads it

        for callback in callbacks:
            callback()
        assert files_under(private_media) == [document.storage_name]
        assert document_read(document) == pdf_bytes()
        # The sweeper may have moved it first: a second move is no error.
        assert file_move_into_place(document.storage_name) is True

    def test_a_row_that_cannot_be_written_leaves_no_file(self, private_media):
        with pytest.raises(IntegrityError):
            document_store_generated(name="e.pdf", content=b"", content_type="application/pdf")
        assert files_under(private_media) == []

    def test_a_transaction_that_fails_after_storing_puts_nothing_in_place(self, private_media):
        with pytest.raises(RuntimeError), transaction.atomic():
            document_store(
                actor=UserFactory(), uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes())
            )
            raise RuntimeError("fails after storing")
        assert not Document.objects.exists()
        [pending] = files_under(private_media)
        assert pending.startswith("incoming/")  # left for the sweeper, nowhere else
        age(private_media / pending, minutes=61)
        assert orphan_files_sweep() == {"moved": 0, "removed": 1}
        assert files_under(private_media) == []

    def test_discard_file_on_rollback_removes_the_pending_file_at_once(self, private_media):
        with pytest.raises(RuntimeError), discard_file_on_rollback() as keep, transaction.atomic():
            uploaded = SimpleUploadedFile("a.pdf", pdf_bytes())
            keep(document_store(actor=UserFactory(), uploaded_file=uploaded))
            raise RuntimeError("fails after storing")
        assert files_under(private_media) == []


@pytest.mark.django_db(transaction=True)
class TestCommittedForReal:
    def test_an_upload_lands_in_its_folder_and_nothing_stays_aside(
        self, client, private_media, reference_data
    ):
        application = ApplicationFactory()
        assert upload(client, application, "scan.pdf", pdf_bytes()).status_code == 302
        document = Document.objects.get()
        assert document.storage_name.startswith("documents/")
        assert files_under(private_media) == [document.storage_name]

    def test_a_commit_that_fails_leaves_no_file(self, private_media, reference_data):
        """The link's foreign key is checked at COMMIT (deferred), after the file was stored."""
        application = ApplicationFactory()
        ghost = DocumentRequirement(pk=10**6, code="ghost")
        with pytest.raises(IntegrityError):
            application_attach_document(
                actor=application.applicant,
                application=application,
                requirement=ghost,
                uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes()),
            )
        assert not Document.objects.exists()
        assert files_under(private_media) == []


@pytest.mark.django_db
def test_the_sweeper_finishes_moves_and_removes_only_old_orphans(
    private_media, django_capture_on_commit_callbacks
):
    # Rows whose commit happened but whose move never ran (the process was killed).
    with django_capture_on_commit_callbacks(execute=False):
        half_done = document_store_generated(
            name="old.pdf", content=pdf_bytes(), content_type="application/pdf"
        )
        young_half_done = document_store_generated(
            name="new.pdf", content=pdf_bytes(), content_type="application/pdf"
        )
    with django_capture_on_commit_callbacks(execute=True):
        in_place = document_store_generated(
            name="kept.pdf", content=pdf_bytes(), content_type="application/pdf"
        )
    age(private_media / "incoming" / half_done.storage_name, minutes=61)
    age(private_media / in_place.storage_name, minutes=600)
    orphans = {
        "incoming/generated/2020/01/dead.pdf": 61,  # its transaction failed long ago
        "documents/2020/01/lost.pdf": 61,  # no row names it
        "quarantine/old.pdf": 61,
    }
    young = {
        "incoming/documents/2020/01/writing.pdf": 5,  # a transaction may still be running
        "generated/2020/01/fresh.pdf": 5,
    }
    outside = {"signing/key.pem": 600}  # not a document folder: never touched
    for name, minutes in {**orphans, **young, **outside}.items():
        path = private_media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        age(path, minutes)

    assert orphan_files_sweep(older_than_minutes=60) == {"moved": 1, "removed": 3}

    assert files_under(private_media) == sorted(
        [
            half_done.storage_name,
            f"incoming/{young_half_done.storage_name}",
            in_place.storage_name,
            *young,
            *outside,
        ]
    )
    assert document_read(half_done) == pdf_bytes()
    assert document_read(young_half_done) == pdf_bytes()
    assert orphan_files_sweep(older_than_minutes=60) == {"moved": 0, "removed": 0}


def test_the_sweeper_is_a_scheduled_job():
    from alliance_portal.celery import app
    from compliance.services.jobs_registry import JOBS

    assert JOBS["sweep_orphan_files"] is orphan_files_sweep
    assert any(
        entry.get("args") == ["sweep_orphan_files"] for entry in app.conf.beat_schedule.values()
    )


KILLED_AFTER_COMMIT = """
import os
import django

django.setup()
from django.db import transaction

from alliance_portal.documents import document_store_generated

with transaction.atomic():
    transaction.on_commit(lambda: os._exit(9))  # runs first: dies before the file is moved
    document = document_store_generated(
        name="killed.pdf", content=b"%PDF-1.4 killed", content_type="application/pdf"
    )
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_process_killed_between_commit_and_move_is_healed(private_media):
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.test",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "PRIVATE_MEDIA_ROOT": str(private_media),
    }
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_COMMIT], cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode()

    document = Document.objects.get()  # committed
    assert files_under(private_media) == [f"incoming/{document.storage_name}"]
    assert document_read(document) == b"%PDF-1.4 killed"  # served while the move is owed
    age(private_media / "incoming" / document.storage_name, minutes=61)
    assert orphan_files_sweep() == {"moved": 1, "removed": 0}
    assert files_under(private_media) == [document.storage_name]
    assert document_read(document) == b"%PDF-1.4 killed"
