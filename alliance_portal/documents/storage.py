"""Where document files live, and how a file is kept only if its row is.

A file is first written under ``incoming/`` and renamed to its place (one ``rename`` on one
filesystem: the file is there whole or not at all) once the transaction that records its
``Document`` commits. So a failed transaction or a killed process leaves nothing in the
document folders; what it leaves in ``incoming/`` is removed by the sweeper, which also
finishes a move the process died before making (the row committed, the rename never ran).
Until the move, the file is read from ``incoming/``.
"""

import logging
import os
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils._os import safe_makedirs

from .errors import StorageUnavailable

logger = logging.getLogger(__name__)

PENDING = "incoming"
# The folders the store writes to (besides PENDING); the sweeper looks at nothing else.
FOLDERS = ("documents", "generated", "quarantine")
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def private_storage() -> FileSystemStorage:
    """Storage outside the web root: it has no URL and is read only through document_response.
    Owner-only: the files are other companies' papers."""
    return FileSystemStorage(
        location=settings.PRIVATE_MEDIA_ROOT,
        base_url=None,
        file_permissions_mode=FILE_MODE,
        directory_permissions_mode=DIRECTORY_MODE,
    )


def pending_name(storage_name: str) -> str:
    return f"{PENDING}/{storage_name}"


def file_write_pending(storage_name: str, content: "File[bytes]") -> str:
    """Write ``content`` under ``incoming/``; returns the name it will have once in place.

    Raises StorageUnavailable, leaving no file, when the storage cannot take it.
    """
    storage = private_storage()
    pending = pending_name(storage_name)
    try:
        saved = storage.save(pending, content)
    except OSError as error:
        # A full disk leaves the part written so far; nothing may stay half-saved.
        _unlink(storage.path(pending))
        raise StorageUnavailable(f"could not write {pending}: {error}") from error
    return saved.removeprefix(f"{PENDING}/")


def file_move_on_commit(storage_name: str) -> None:
    """Call inside the transaction that creates the row naming ``storage_name``."""
    transaction.on_commit(partial(file_move_into_place, storage_name), robust=True)


def file_move_into_place(storage_name: str) -> bool:
    """Rename the pending file to its place. The row has committed, so a failure here is
    only logged: the file stays readable in ``incoming/`` and the sweeper tries again."""
    storage = private_storage()
    source, target = storage.path(pending_name(storage_name)), storage.path(storage_name)
    try:
        safe_makedirs(os.path.dirname(target), DIRECTORY_MODE, exist_ok=True)
        os.rename(source, target)
    except FileNotFoundError:
        if os.path.exists(target):
            return True  # moved meanwhile by someone else (the sweeper, or this commit)
        logger.error("Document file %s is in neither place", storage_name)
        return False
    except OSError:
        logger.exception("Could not move %s into place; the sweeper will try again", source)
        return False
    return True


def file_discard_pending(storage_name: str) -> None:
    """Remove the pending file of a row that was never committed (a moved file stays)."""
    _unlink(private_storage().path(pending_name(storage_name)))


def file_open(storage_name: str) -> "File[bytes]":
    """Open a stored file, in place or still pending. Raises FileNotFoundError."""
    storage = private_storage()
    try:
        return storage.open(storage_name, "rb")
    except FileNotFoundError:
        return storage.open(pending_name(storage_name), "rb")


def old_files(folder: str, *, older_than: float) -> Iterator[tuple[str, Path]]:
    """(name relative to ``folder``, path) of each regular file last changed before
    ``older_than`` (a timestamp). Symbolic links are neither followed nor listed."""
    base = Path(settings.PRIVATE_MEDIA_ROOT) / folder
    for directory, _dirs, files in os.walk(base):
        for file_name in files:
            path = Path(directory) / file_name
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue  # moved or removed while we looked
            if stat.S_ISREG(info.st_mode) and info.st_mtime < older_than:
                yield path.relative_to(base).as_posix(), path


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError:
        logger.exception("Could not remove %s", path)
