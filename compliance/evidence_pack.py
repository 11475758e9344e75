"""An auditor's evidence pack for one review cycle: a ZIP of every evidence file and an index
PDF naming the cycle, the member, each answer and its files with their SHA-256.

The pack is written to a temporary file (never held in memory whole) from the private
storage, and nothing is locked while it is built.
"""

import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import SuspiciousFileOperation
from django.utils import timezone
from django.utils.text import get_valid_filename

from alliance_portal.documents.storage import file_open
from alliance_portal.models import Document
from alliance_portal.pdf import render_pdf_template

from .models import ReviewCycle

INDEX_NAME = "index.pdf"


@dataclass
class PackedFile:
    document: Document
    name: str  # its name inside the ZIP
    criteria: list[str] = field(default_factory=list)
    missing: bool = False


def pack_name(cycle: ReviewCycle) -> str:
    return f"evidence-{cycle.member_id}-cycle-{cycle.pk}.zip"


def _safe_name(document: Document) -> str:
    """A name that unpacks as one plain file anywhere (numbered, so never a duplicate)."""
    try:
        return get_valid_filename(document.original_name)
    except SuspiciousFileOperation:
        return f"file.{document.extension}"


def _packed_files(cycle: ReviewCycle) -> dict[object, PackedFile]:
    """Every document once, even when it evidences several criteria (prefetched answers)."""
    files: dict[object, PackedFile] = {}
    for answer in cycle.answers.all():
        for link in answer.evidence.all():
            document = link.document
            if document.pk not in files:
                number = len(files) + 1
                name = f"evidence/{number:03d}-{_safe_name(document)}"
                files[document.pk] = PackedFile(document=document, name=name)
            files[document.pk].criteria.append(answer.criterion.code)
    return files


def evidence_pack_write(cycle: ReviewCycle) -> tuple[IO[bytes], list[PackedFile]]:
    """The pack in a temporary file, rewound, and the files it holds (those absent from the
    storage are listed as missing in the index rather than failing the whole pack)."""
    files = _packed_files(cycle)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for packed in files.values():
            try:
                source = file_open(packed.document.storage_name)
            except FileNotFoundError:
                packed.missing = True
                continue
            with source, archive.open(packed.name, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
        index = render_pdf_template(
            "compliance/auditor_evidence_index_pdf.html",
            {
                "cycle": cycle,
                "answers": [
                    (answer, [files[link.document_id] for link in answer.evidence.all()])
                    for answer in cycle.answers.all()
                ],
                "files": list(files.values()),
                "generated_at": timezone.now(),
            },
        )
        archive.writestr(INDEX_NAME, index)
    handle.seek(0)
    return handle, list(files.values())
