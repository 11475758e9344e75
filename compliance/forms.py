from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance_portal.documents.forms import UploadFieldMixin, document_file_field

from .models import AnswerChoice


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"), choices=AnswerChoice.choices, widget=forms.RadioSelect, required=False
    )
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("Required unless the answer is “Compliant”."),
    )


class EvidenceForm(UploadFieldMixin, forms.Form):
    file = document_file_field(label=_("Evidence"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["class"] = "form-control form-control-sm"


class DeclarationForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    declared = forms.BooleanField(label=_("I make this declaration."), required=False)


class TextResponseForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
    )
