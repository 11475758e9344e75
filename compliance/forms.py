from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.documents.forms import (
    UploadFieldMixin,
    ValidityDatesMixin,
    document_file_field,
    validity_date_fields,
)
from licensing.models import Criterion

from .models import AnswerChoice


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"), choices=AnswerChoice.choices, widget=forms.RadioSelect, required=False
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=text_limits.TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("Required unless the answer is “Compliant”."),
    )


class EvidenceForm(UploadFieldMixin, forms.Form):
    file = document_file_field(label=_("Evidence"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["class"] = "form-control form-control-sm"


class EvidenceUploadForm(ValidityDatesMixin, EvidenceForm):
    """Evidence for one criterion, with its dates when the criterion's evidence expires."""

    issued_on, expires_on = validity_date_fields(small=True).values()

    def __init__(self, *args: Any, criterion: Criterion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criterion = criterion

    def validity_for(self, cleaned: dict[str, Any]) -> tuple[bool, int | None]:
        return self.criterion.evidence_expires, self.criterion.evidence_validity_months


class DeclarationForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    title = forms.CharField(
        label=_("Your title"),
        max_length=200,
        required=False,
        help_text=_("As it should read in the declaration, e.g. “Chief Executive Officer”."),
        widget=forms.TextInput(
            attrs={"class": "form-control", "autocomplete": "organization-title"}
        ),
    )
    declared = forms.BooleanField(label=_("I make this declaration."), required=False)


class EvidenceAttachForm(forms.Form):
    """A document of the member's evidence library, attached to one more criterion."""

    document = forms.UUIDField(label=_("Document from the evidence library"))


class TextResponseForm(forms.Form):
    """A member's response to a forfeiture case."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=text_limits.LONG_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )


class FindingActionForm(TextResponseForm):
    """The action taken on a finding: shorter than a case response."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=text_limits.TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
