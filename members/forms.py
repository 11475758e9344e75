from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.documents.forms import (
    UploadFieldMixin,
    ValidityDatesMixin,
    document_file_field,
    validity_date_fields,
)
from alliance_portal.email_addresses import email_address_clean

from .models import Application, KeyPerson, Role, field_label
from .selectors import active_requirements
from .services.applications import APPLICANT_FIELDS, ELIGIBILITY_FIELDS
from .services.people import PERSON_FIELDS

OWNERSHIP_FIELDS = ("former_names", "no_owner_reason")

YES_NO = [("true", _("Yes")), ("false", _("No"))]


class ApplicationForm(forms.ModelForm[Application]):
    """The applicant's data. Everything may be left blank in a draft; submission checks it."""

    website = forms.URLField(
        label=_("website"),
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Application
        fields = APPLICANT_FIELDS
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "former_names": forms.Textarea(attrs={"rows": 2}),
            "no_owner_reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ELIGIBILITY_FIELDS:
            self.fields[name] = forms.NullBooleanField(
                label=field_label(Application, name),
                required=False,
                widget=forms.RadioSelect(choices=YES_NO),
            )
        for field in self.fields.values():
            field.required = False
            if isinstance(field.widget, forms.RadioSelect | forms.CheckboxInput):
                continue
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["country"].widget.attrs["class"] = "form-select"

    def company_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in APPLICANT_FIELDS
            if name not in (*ELIGIBILITY_FIELDS, *OWNERSHIP_FIELDS, "public_listing_consent")
        ]

    def ownership_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in OWNERSHIP_FIELDS]

    def eligibility_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ELIGIBILITY_FIELDS]


class DocumentUploadForm(ValidityDatesMixin, UploadFieldMixin, forms.Form):
    """A document for one requirement, with its issue date and expiry (required when the
    requirement expires; the expiry defaults to the issue date plus its validity)."""

    requirement = forms.ModelChoiceField(
        label=_("Document"), queryset=active_requirements(), empty_label=None
    )
    file = document_file_field()
    issued_on, expires_on = validity_date_fields().values()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requirement"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"

    def validity_for(self, cleaned: dict[str, Any]) -> tuple[bool, int | None]:
        requirement = cleaned.get("requirement")
        if requirement is None:
            return False, None
        return requirement.expires, requirement.validity_months


class MemberDocumentForm(DocumentUploadForm):
    """A member's newer document for a requirement (the company's documents page)."""


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        max_length=text_limits.TEXT,
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control"}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, widget=forms.Select(attrs={"class": "form-select"})
    )

    def clean_email(self) -> str:
        # Whoever accepts signs in with this address: the rules of sign-up apply here too.
        return email_address_clean(self.cleaned_data["email"])


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class KeyPersonForm(UploadFieldMixin, forms.ModelForm[KeyPerson]):
    """An owner, director or signatory. The model's rules (share, control, Latin name, date
    of birth) are checked here too, so a mistake is shown on the form and nothing is kept."""

    document_file = document_file_field(label=_("Supporting document (optional)"), required=False)

    class Meta:
        model = KeyPerson
        fields = PERSON_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ownership_percent": forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.DateField, self.fields["date_of_birth"]).input_formats = ["%Y-%m-%d"]
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if name != "document_file":
                field.widget.attrs.setdefault("aria-describedby", f"{name}-errors")

    def person_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS}


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What needs correcting (the member reads it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class AcceptForm(forms.Form):
    comment = forms.CharField(
        label=_("Note (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=text_limits.TEXT,
        required=False,
    )
