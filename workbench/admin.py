"""The admin's index leads with the staff home: the queues of work (workbench.views)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .views import home_context

_stock_index = admin.site.index
_stock_app_list = admin.site.get_app_list


def index(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
    return _stock_index(request, {**home_context(request), **(extra_context or {})})


def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[Any]:
    """The apps and models this person may see, built once per request: the index lists them
    and its navigation asks for them again (each time every model's permissions and links)."""
    built: dict[str | None, list[Any]] = request.__dict__.setdefault("_admin_app_lists", {})
    if app_label not in built:
        built[app_label] = _stock_app_list(request, app_label)
    return built[app_label]


admin.site.index = index  # type: ignore[method-assign]
admin.site.get_app_list = get_app_list  # type: ignore[method-assign]
