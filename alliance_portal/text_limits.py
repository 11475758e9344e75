"""How long the free text people type may be.

A text over its limit is refused with Django's message ("Ensure this value has at most …
characters"), never cut short: what is stored, copied into an agreement or rendered into a PDF
is what was typed. Model fields carry their limit where the app owns the model; forms over
models they cannot change give their fields the limit with ``TextLimitsMixin``.
"""

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

ADDRESS = 500
NOTE = 2_000  # a note on a record, guidance
TEXT = 5_000  # an explanation, a description, a reason, a message
LONG_TEXT = 20_000  # a narrative, a member's response to a case
AGREEMENT = 100_000  # the licence terms


def limit_length(field: forms.Field, limit: int) -> None:
    """Give a form's text field a maximum as if it had been declared with it."""
    if not isinstance(field, forms.CharField):
        raise TypeError(f"{field!r} is not a text field")
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs.update(field.widget_attrs(field.widget))


class TextLimitsMixin:
    """For a form: ``text_limits = {"field": limit}`` for fields of models without one."""

    text_limits: dict[str, int] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        for name, limit in self.text_limits.items():
            if name in fields:
                limit_length(fields[name], limit)
