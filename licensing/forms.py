from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

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
