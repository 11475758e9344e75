"""Buttons on an admin change page for the transitions allowed from the object's state.

Each button opens a small form (a reason, a date…) and calls the app's service; the service
decides, the admin only shows what the transition table allows and reports what happened.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from .states import Transition, allowed_actions


class WorkflowAdminMixin:
    """For a ModelAdmin: set ``transitions`` and ``workflow_actions`` and write ``perform``."""

    change_form_template = "admin/workflow_change_form.html"
    transitions: Mapping[str, Transition] = {}
    # action -> (button label, form class or None for a bare confirmation)
    workflow_actions: Mapping[str, tuple[Any, type[forms.Form] | None]] = {}

    def perform(self, request: HttpRequest, obj: Any, action: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def action_available(self, obj: Any, action: str) -> bool:
        """For actions that are not transitions: whether to offer the button now."""
        return True

    def action_refusal(self, request: HttpRequest, obj: Any, action: str) -> str | None:
        """Why this person may not take ``action`` on ``obj`` (a role, the four-eyes rule), or
        None. A refused action has no button, and its URL answers 403 with this reason."""
        return None

    def act_context(self, request: HttpRequest, obj: Any, action: str) -> dict[str, Any]:
        """What the action's page shows above its form: a ``summary_template`` to include and
        the context it reads (a decision is taken with the record in view, not from memory)."""
        return {}

    def _url_name(self, suffix: str) -> str:
        opts = self.model._meta  # type: ignore[attr-defined]
        return f"{opts.app_label}_{opts.model_name}_{suffix}"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.act_view),  # type: ignore[attr-defined]
                name=self._url_name("act"),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = context.get("original")
        if obj is not None and self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            allowed = allowed_actions(self.transitions, obj.status)
            context["workflow_actions"] = [
                (reverse(f"admin:{self._url_name('act')}", args=[obj.pk, action]), label)
                for action, (label, _form) in self.workflow_actions.items()
                if (
                    action in allowed
                    or (action not in self.transitions and self.action_available(obj, action))
                )
                and self.action_refusal(request, obj, action) is None
            ]
        response: HttpResponse = super().render_change_form(  # type: ignore[misc]
            request, context, *args, **kwargs
        )
        return response

    def act_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        model: type[models.Model] = self.model  # type: ignore[attr-defined]
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None or action not in self.workflow_actions:
            raise Http404
        if not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        label, form_class = self.workflow_actions[action]
        change_url = reverse(f"admin:{self._url_name('change')}", args=[obj.pk])
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": model._meta,
            "original": obj,
            "title": f"{label}: {obj}",
            "action_label": label,
            "change_url": change_url,
        }
        refusal = self.action_refusal(request, obj, action)
        if refusal is not None:
            return TemplateResponse(
                request, "admin/workflow_act.html", {**context, "refusal": refusal}, status=403
            )
        form = (form_class or forms.Form)(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                self.perform(request, obj, action, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
            except PermissionDenied as error:
                # Said on the form, not as a bare 403: the rule (four eyes, a role) is the answer.
                form.add_error(None, str(error) or gettext("You may not do this."))
            else:
                messages.success(request, gettext("Done: %(action)s.") % {"action": label})
                return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/workflow_act.html",
            {**context, **self.act_context(request, obj, action), "form": form},
            status=400 if request.method == "POST" else 200,
        )


class AddFormMixin:
    """For a ModelAdmin whose records are created by a service from a small form (``add_form``)
    and are read-only afterwards (``readonly_fields``, shown as ``fields``)."""

    add_form: type[forms.ModelForm[Any]]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = self.add_form._meta.fields
        return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields  # type: ignore[attr-defined]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.add_form._meta.fields or []) if obj is None else self.readonly_fields  # type: ignore[attr-defined]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [] if obj is None else self.inlines  # type: ignore[attr-defined]
