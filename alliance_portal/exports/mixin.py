from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from .tables import Column, columns_for

if TYPE_CHECKING:
    from django.template.response import _TemplateForResponseT


class ExportAdminMixin:
    """For a ModelAdmin: "Export CSV" and "Export XLSX" on its list, exporting the rows the
    list shows (its filters, search and ordering; every page) with the columns of
    ``export_fields`` (``list_display``-style names; by default the list's own columns)."""

    change_list_template: "ClassVar[_TemplateForResponseT | None]" = "admin/export_change_list.html"
    export_fields: Sequence[str] | None = None

    def _admin(self) -> "admin.ModelAdmin[Any]":
        return cast("admin.ModelAdmin[Any]", self)

    def get_export_fields(self, request: HttpRequest) -> list[Any]:
        if self.export_fields is not None:
            return list(self.export_fields)
        return [
            name for name in self._admin().get_list_display(request) if name != "action_checkbox"
        ]

    def get_export_columns(self, request: HttpRequest) -> list[Column]:
        return columns_for(self._admin(), self.get_export_fields(request))

    def get_urls(self) -> list[URLPattern]:
        model_admin = self._admin()
        opts = model_admin.model._meta
        urls: list[URLPattern] = super().get_urls()  # type: ignore[misc]
        return [
            path(
                "export/<str:file_format>/",
                model_admin.admin_site.admin_view(self.export_view),
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            *urls,
        ]

    def export_view(self, request: HttpRequest, file_format: str) -> HttpResponseBase:
        from .views import changelist_export

        return changelist_export(request, self._admin(), file_format)
