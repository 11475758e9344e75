"""Staff make tokens for themselves or for a service account; the secret is shown once, on the
page after saving, and never again."""

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.models import User

from .models import ApiToken, TokenScope
from .permissions import can_create_token
from .services import token_create, token_expiry_problems, token_revoke


class ApiTokenAddForm(forms.ModelForm[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope", "expires_at"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["user"].help_text = _(
            "Yourself, or a service account (a user without a password, who cannot sign in)."
        )
        self.fields["expires_at"].initial = timezone.now() + timedelta(days=90)
        self.fields["scope"].initial = TokenScope.READ

    def clean_user(self) -> User:
        user = cast(User, self.cleaned_data["user"])
        if not can_create_token(self.actor, user):
            raise ValidationError(_("You may make tokens only for yourself or a service account."))
        return user

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data["expires_at"]
        problems = token_expiry_problems(expires_at)
        if problems:
            raise ValidationError(problems)
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = [
        "name",
        "user",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__email", "prefix"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "prefix",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "last_used_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        actor = cast(User, request.user)

        class AddForm(ApiTokenAddForm):
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, actor=actor, **kw)

        kwargs["form"] = AddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, secret = token_create(
            actor=cast(User, request.user),
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.cleaned_data["expires_at"],
            request=request,
        )
        obj.pk = token.pk
        request._api_token_secret = secret  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The token has no relations to save (and the service saved it)."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """The audit log records the creation (the service does)."""

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None
    ) -> HttpResponse:
        token = ApiToken.objects.select_related("user").get(pk=obj.pk)
        response = TemplateResponse(
            request,
            "api/admin_token_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": token,
                "secret": getattr(request, "_api_token_secret", ""),
                "title": _("API token made"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("api.change_apitoken"))

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(actor=cast(User, request.user), token=token, request=request)
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", done) % {"n": done},
        )


from . import admin_webhooks  # noqa: E402, F401 - registers the webhook admin
