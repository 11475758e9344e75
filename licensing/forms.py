from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.documents.forms import UploadFieldMixin, document_file_field

from .models import LogoUseMedium
from .signing import consents


class SignForm(forms.Form):
    accepted = forms.MultipleChoiceField(
        label=_("Statements"), widget=forms.CheckboxSelectMultiple, required=False
    )
    typed_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    typed_title = forms.CharField(
        label=_("Your title in the company"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control", "autocomplete": "organization-title"}
        ),
    )
    shown_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["accepted"]).choices = consents()


class AcknowledgeForm(forms.Form):
    typed_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    declared = forms.BooleanField(
        label=_("I acknowledge the new edition for the company."),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class LogoKitForm(forms.Form):
    accept_rules = forms.BooleanField(
        label=_("I have read the rules of use of the logo and will follow them."),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class LogoUseForm(UploadFieldMixin, forms.Form):
    artwork = document_file_field(label=_("Artwork"))
    medium = forms.ChoiceField(
        label=_("Medium"),
        choices=[("", "—"), *LogoUseMedium.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    markets = forms.CharField(
        label=_("Markets or countries"),
        max_length=300,
        help_text=_("Where the logo will appear, e.g. “UAE, India” or “worldwide online”."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    starts_on = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    ends_on = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=text_limits.TEXT,
        help_text=_("What the logo appears on and how: product, placement, size, print run."),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artwork"].widget.attrs["class"] = "form-control"
