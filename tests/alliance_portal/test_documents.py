"""The secure document store, through the real upload path of the portal."""

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents.errors import UploadRejected
from alliance_portal.documents.validation import clean_name
from alliance_portal.models import AuditEvent, Document
from members.models import ApplicationDocument, DocumentRequirement
from tests.factories import ApplicationFactory
from tests.files import (
    EICAR,
    docx_bytes,
    lying_zip_bomb_docx,
    multipart,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
    zip_bomb_docx,
)


def stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


@pytest.fixture
def application(db):
    return ApplicationFactory()


def upload(client, application, filename: str, data: bytes):
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
    )


def assert_refused(response, message: str, private_media) -> None:
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.exists()
    assert not ApplicationDocument.objects.exists()
    assert stored_files(private_media) == []
    assert not AuditEvent.objects.filter(action__startswith="document.").exists()


@pytest.mark.django_db
class TestRefusedUploads:
    @pytest.mark.parametrize(
        ("filename", "data", "message"),
        [
            ("scan.pdf", b"just some text, not a PDF at all", "does not match its .pdf extension"),
            ("page.pdf", b"<!doctype html><html><body>hi</body></html>", "does not match"),
            ("scan.pdf.exe", pdf_bytes, "Only these kinds of file are accepted"),
            ("a.jpg.php", png_bytes, "Only these kinds of file are accepted"),
            ("report.php.pdf", pdf_bytes, "second extension that is not allowed (.php)"),
            ("page.html", b"<html></html>", "Only these kinds of file are accepted"),
            ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "Only these kinds"),
            ("../../etc/passwd.pdf", pdf_bytes, "without a folder or a path"),
            ("/etc/passwd.pdf", pdf_bytes, "without a folder or a path"),
            ("C:\\Windows\\scan.pdf", pdf_bytes, "without a folder or a path"),
            ("x" * 296 + ".pdf", pdf_bytes, "The file name is too long"),
            # So long the part's header passes Django's limit: the whole request is refused.
            ("x" * 996 + ".pdf", pdf_bytes, "check that its name is a plain, short name"),
            ("empty.pdf", b"", "The file is empty."),
            ("letter.docx", zip_bomb_docx, "a zip bomb"),
            ("letter.docx", lying_zip_bomb_docx, "damaged or not a genuine Office document"),
            ("letter.docx", lambda: docx_bytes({"../../evil.sh": b"#!/bin/sh"}), "unsafe path"),
            ("letter.docx", lambda: docx_bytes({"/abs/evil": b"x"}), "unsafe path"),
            ("letter.docx", pdf_bytes, "does not match its .docx extension"),
            ("sheet.xlsx", docx_bytes, "not a genuine Office document"),
        ],
        ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
    )
    def test_refused_with_a_clear_message_and_nothing_stored(
        self, client, application, private_media, filename, data, message
    ):
        content = data() if callable(data) else data
        response = upload(client, application, filename, content)
        assert_refused(response, message, private_media)

    def test_one_byte_over_the_limit_is_refused_and_exactly_the_limit_accepted(
        self, client, application, private_media, settings
    ):
        content = pdf_bytes()
        settings.ALLIANCE_UPLOAD_MAX_BYTES = len(content)
        over = upload(client, application, "big.pdf", content + b"\n")
        assert_refused(over, "larger than the limit", private_media)
        exact = upload(client, application, "exact.pdf", content)
        assert exact.status_code == 302
        assert Document.objects.get().size == len(content)

    def test_a_file_far_over_the_limit_is_dropped_while_it_arrives(
        self, client, application, private_media, settings
    ):
        settings.ALLIANCE_UPLOAD_MAX_BYTES = 100 * 1024
        response = upload(client, application, "huge.pdf", pdf_bytes() + b"\0" * (5 * 1024 * 1024))
        assert_refused(response, "larger than the limit", private_media)
        assert "This field is required" not in response.content.decode()

    def test_no_scanner_answer_means_no_upload(self, client, application, private_media, settings):
        settings.ALLIANCE_ANTIVIRUS_BACKEND = "tests.fakes.BrokenScanner"
        response = upload(client, application, "scan.pdf", pdf_bytes())
        assert_refused(response, "could not be checked for viruses", private_media)


@pytest.mark.django_db
class TestAcceptedUploads:
    @pytest.mark.parametrize(
        ("filename", "data", "content_type"),
        [
            ("Свидетельство о регистрации.pdf", pdf_bytes, "application/pdf"),
            ("scan.PNG", png_bytes, "image/png"),
            (
                "policy.docx",
                docx_bytes,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            (
                "accounts.xlsx",
                xlsx_bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            ("annual.report.2025.pdf", pdf_bytes, "application/pdf"),
        ],
    )
    def test_stored_privately_under_a_generated_name(
        self, client, application, private_media, filename, data, content_type
    ):
        import hashlib

        content = data()
        response = upload(client, application, filename, content)
        assert response.status_code == 302
        document = Document.objects.get()
        assert document.original_name == filename
        assert document.content_type == content_type
        assert document.sha256 == hashlib.sha256(content).hexdigest()
        assert document.scan_status == Document.ScanStatus.NOT_SCANNED
        [path] = stored_files(private_media)
        assert path.read_bytes() == content
        assert filename not in str(path)
        assert path.name.startswith(document.storage_name.rsplit("/", 1)[-1][:8])
        assert ApplicationDocument.objects.get().document == document
        assert AuditEvent.objects.filter(
            action="document.uploaded", target_id=str(document.pk)
        ).exists()


@pytest.mark.django_db
class TestInfectedFiles:
    def test_quarantined_never_linked_never_downloadable(
        self, client, application, private_media, settings
    ):
        settings.ALLIANCE_ANTIVIRUS_BACKEND = "tests.fakes.EicarScanner"
        response = upload(client, application, "invoice.pdf", pdf_bytes() + EICAR)
        assert response.status_code == 400
        assert "found to contain malware" in response.content.decode()
        document = Document.objects.get()
        assert document.quarantined
        assert document.scan_detail == "Eicar-Test-Signature"
        assert document.storage_name.startswith("quarantine/")
        assert not ApplicationDocument.objects.exists()
        assert AuditEvent.objects.filter(action="document.quarantined").count() == 1
        # Even linked by a mistake, it is never served.
        ApplicationDocument.objects.create(
            application=application,
            requirement=DocumentRequirement.objects.first(),
            document=document,
        )
        url = reverse("portal:application_document", args=[application.pk, document.pk])
        assert client.get(url).status_code == 404

    def test_clean_files_are_marked_scanned(self, client, application, settings):
        settings.ALLIANCE_ANTIVIRUS_BACKEND = "tests.fakes.EicarScanner"
        assert upload(client, application, "invoice.pdf", pdf_bytes()).status_code == 302
        assert Document.objects.get().scan_status == Document.ScanStatus.CLEAN


@pytest.mark.django_db
def test_download_is_an_attachment_with_safe_headers_and_is_audited(client, application):
    upload(client, application, "Устав компании.pdf", pdf_bytes())
    document = Document.objects.get()
    response = client.get(
        reverse("portal:application_document", args=[application.pk, document.pk])
    )
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%A3%D1%81%D1%82%D0%B0%D0%B2" in disposition
    assert 'filename="_____ ________.pdf"' in disposition  # the ASCII fallback
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert AuditEvent.objects.filter(
        action="document.downloaded", actor=application.applicant
    ).exists()


class TestNames:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("Scan  2025.PDF", ("Scan 2025.PDF", "pdf")),
            ("photo.jpeg", ("photo.jpeg", "jpeg")),
        ],
    )
    def test_accepted_names(self, name, expected):
        assert clean_name(name) == expected

    @pytest.mark.parametrize(
        "name",
        ["", ".pdf", "noextension", "a\x07b.pdf", ".htaccess", "x" * 300 + ".pdf", "a:b.pdf"],
    )
    def test_refused_names(self, name):
        with pytest.raises(UploadRejected):
            clean_name(name)
