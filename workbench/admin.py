"""The admin's index leads with the staff home: the queues of work (workbench.views)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .views import home_context

_stock_index = admin.site.index


def index(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
    return _stock_index(request, {**home_context(request), **(extra_context or {})})


admin.site.index = index  # type: ignore[method-assign]
