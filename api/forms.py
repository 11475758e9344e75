from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import TokenScope

DEFAULT_DAYS = 90


def _default_expiry() -> date:
    return timezone.localdate() + timedelta(days=DEFAULT_DAYS)


def expiry_moment(day: date) -> datetime:
    """A token made to expire "on" a day stops working when that day begins."""
    return timezone.make_aware(datetime.combine(day, time.min))


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ERP nightly import”."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
    expires_on = forms.DateField(
        label=_("Expires on"),
        initial=_default_expiry,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> date:
        day: date = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("The expiry must be in the future."))
        if day > today + timedelta(days=settings.ALLIANCE_API_TOKEN_MAX_DAYS):
            raise forms.ValidationError(
                _("A token may last at most %(days)d days.")
                % {"days": settings.ALLIANCE_API_TOKEN_MAX_DAYS}
            )
        return day
