"""Labels and links shared by the admin pages: a member's name leading to its 360° page, and
the searchable pickers (autocomplete) labelled the way staff recognise a record."""

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.html import format_html


def member_link(member: Any) -> str:
    """A member's name as a link to its 360° page; a dash for none."""
    if member is None:
        return "—"
    return format_html(
        '<a href="{}">{}</a>', reverse("workbench:member", args=[member.pk]), str(member)
    )


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """The admin's picker search, with two hooks on the searched model's admin:
    ``autocomplete_label(obj)`` for the text of a result (a licence number alone says nothing
    to a person; with its member's name it does), and its ``list_select_related`` joined so
    labels that name a related record cost no query each."""

    def get_queryset(self) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset()
        related = getattr(self.model_admin, "list_select_related", False)
        if isinstance(related, (list, tuple)) and related:
            queryset = queryset.select_related(*related)
        return queryset

    def serialize_result(self, obj: Any, to_field_name: str) -> dict[str, str]:
        label = getattr(self.model_admin, "autocomplete_label", None)
        result: dict[str, str] = super().serialize_result(obj, to_field_name)
        if label is not None:
            result["text"] = str(label(obj))
        return result


def use_labelled_autocomplete(site: AdminSite) -> None:
    """Serve the site's picker searches with ``LabelledAutocompleteJsonView``."""

    def autocomplete_view(request: HttpRequest) -> HttpResponseBase:
        return LabelledAutocompleteJsonView.as_view(admin_site=site)(request)

    site.autocomplete_view = autocomplete_view  # type: ignore[method-assign,assignment]


def picker_request(request: HttpRequest, model_label: str, field_name: str) -> bool:
    """Whether ``request`` is a picker search for ``field_name`` of ``model_label``
    ("app_label.model_name"): a target admin narrows its results for that picker."""
    app_label, _, model_name = model_label.partition(".")
    return (
        request.GET.get("app_label") == app_label
        and request.GET.get("model_name") == model_name
        and request.GET.get("field_name") == field_name
    )
