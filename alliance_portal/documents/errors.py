from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class UploadRejected(ValidationError):
    """An upload refused before anything of it was stored; the message is for the uploader."""


class StorageUnavailable(Exception):
    """The private storage refused a write (unwritable, full, missing): nothing was kept.

    Not a ValidationError: the file is fine and the user did nothing wrong, so views let it
    through and the documents middleware answers 503 with :attr:`message`.
    """

    @property
    def message(self) -> str:
        return _(
            "The portal cannot save files just now, so nothing was saved. Please try again "
            "in a few minutes; if this keeps happening, tell the ALLIANCE team."
        )
