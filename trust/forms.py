import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.documents.forms import UploadFieldMixin
from alliance_portal.documents.validation import allowed_extensions_text
from compliance.models import Grounds, Severity
from members.models import Member

from .models import ReportCategory
from .selectors import members_to_report

RENDERED_AT_SALT = "trust.report.rendered_at"
HONEYPOT = "website"


def rendered_at_token() -> str:
    """The time the form was shown, signed: a bot that posts at once is refused."""
    return signing.dumps(time.time(), salt=RENDERED_AT_SALT)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": allowed_extensions_text()}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ReportForm(UploadFieldMixin, forms.Form):
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=ReportCategory.choices, widget=forms.RadioSelect
    )
    member = forms.ModelChoiceField(
        label=_("Member concerned (if any)"),
        queryset=members_to_report(),
        required=False,
        empty_label=_("None, or a company not listed"),
        help_text=_("Choose from the register, or leave empty and name the company below."),
    )
    description = forms.CharField(
        label=_("What did you see?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=text_limits.TEXT,
        help_text=_("Where and when, the company's name, what the logo was used on."),
    )
    evidence = MultipleFileField(label=_("Evidence (photos, documents)"), required=False)
    email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        required=False,
        help_text=_(
            "Only to tell you when the report is acknowledged and concluded. Leave it empty "
            "to stay anonymous. It is never shown to the member concerned."
        ),
    )
    # Spam resistance: a field people do not see, and the signed time the form was shown.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    rendered_at = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("member", "description", "email", "evidence"):
            widget = self.fields[name].widget
            widget.attrs["class"] = "form-select" if name == "member" else "form-control"
        self.fields["website"].widget.attrs.update(tabindex="-1", autocomplete="off")
        self.fields["evidence"].help_text = gettext(
            "Up to %(count)d files: PDF, PNG, JPEG, DOCX or XLSX, up to the size limit."
        ) % {"count": settings.ALLIANCE_REPORT_MAX_FILES}
        if not self.is_bound:
            self.initial["rendered_at"] = rendered_at_token()

    def clean_evidence(self) -> list[Any]:
        files: list[Any] = self.cleaned_data.get("evidence") or []
        if len(files) > settings.ALLIANCE_REPORT_MAX_FILES:
            raise forms.ValidationError(
                _("Send at most %(count)d files.") % {"count": settings.ALLIANCE_REPORT_MAX_FILES}
            )
        return files

    def spam_problem(self) -> str | None:
        """Why the submission looks automated (the honeypot, too fast or too old), or None."""
        if self.data.get(HONEYPOT):
            return "honeypot"
        try:
            shown = float(
                signing.loads(
                    self.data.get("rendered_at", ""),
                    salt=RENDERED_AT_SALT,
                    max_age=settings.ALLIANCE_REPORT_FORM_MAX_AGE_SECONDS,
                )
            )
        except (signing.BadSignature, TypeError, ValueError):
            return "stale"
        age = time.time() - shown
        if age > settings.ALLIANCE_REPORT_FORM_MAX_AGE_SECONDS:
            return "stale"
        if age < settings.ALLIANCE_REPORT_MIN_SECONDS:
            return "too_fast"
        return None


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why do you disagree with the outcome?"),
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        max_length=text_limits.TEXT,
    )


# --- staff triage (the admin's workflow forms) ------------------------------------------------


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept for staff)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )
    public_outcome = forms.CharField(
        label=_("What the reporter is told"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class ConcludeForm(forms.Form):
    public_outcome = forms.CharField(
        label=_("What the reporter is told"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class _MemberChoice(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Member concerned (leave empty for the one named in the report)"),
        queryset=Member.objects.order_by("legal_name"),
        required=False,
    )


class RaiseFindingForm(_MemberChoice):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = forms.CharField(
        label=_("What was found (the member sees this; nothing of the reporter)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )
    corrective_action = forms.CharField(
        label=_("Corrective action required"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=text_limits.TEXT,
    )
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))


class OpenCaseForm(_MemberChoice):
    grounds = forms.ChoiceField(
        label=_("Grounds"),
        choices=[("", "---------")]
        + [(g.value, g.label) for g in (Grounds.LOGO_MISUSE, Grounds.NON_COMPLIANCE)],
    )
    narrative = forms.CharField(
        label=_("What happened (the member sees this; nothing of the reporter)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=text_limits.LONG_TEXT,
    )
