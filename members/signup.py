"""The sign-up form's own part (allauth's ``ACCOUNT_SIGNUP_FORM_CLASS``): the personal-data
consent, ticked and recorded as its own consent when the account is made."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .consent import consent_text


class SignupConsentForm(forms.Form):
    personal_data_consent = forms.BooleanField(
        required=True,
        error_messages={
            "required": _("Consent to the processing of your personal data to open an account.")
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["personal_data_consent"].label = consent_text()

    def signup(self, request: HttpRequest, user: Any) -> None:
        from .services import consent_give  # the services import the models: not at load

        consent_give(actor=user, request=request)
