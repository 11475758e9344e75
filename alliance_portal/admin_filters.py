"""Admin list filters and a paginator that stay bounded at 100,000 members and millions of
audit events.

- :class:`AutocompleteFilter`: a foreign key filter that lists nothing; staff search the
  related records with the admin's own autocomplete (the related model's admin
  ``search_fields``, its view permission), instead of a link per member or user.
- :class:`IndexedValuesFilter`: the distinct values of an indexed column (audit actions,
  countries) read by an index skip scan on PostgreSQL, one index probe per value, instead of
  ``SELECT DISTINCT`` over the whole table.
- :class:`EstimatedCountPaginator`: the planner's estimate instead of ``COUNT(*)`` when the
  estimate is large (PostgreSQL); an exact count otherwise.
- :class:`UnionSearchMixin`: a search that asks each searched field apart and keeps the rows
  any of them found, so every field reads its own index.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

MAX_VALUES = 300  # a filter listing more would not be read
# Rows on a page of a staff list over a table that grows with the membership (Django's default
# is 100): rendering the rows is most of a changelist's time; search and filters find the rest.
STAFF_LIST_PER_PAGE = 50


class AutocompleteFilter(admin.FieldListFilter):
    """``list_filter = [("actor", AutocompleteFilter)]``: pick the related record by search."""

    template = "admin/autocomplete_filter.html"

    def __init__(
        self,
        field: Any,
        request: HttpRequest,
        params: dict[str, Any],
        model: Any,
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.lookup_kwarg = f"{field_path}__{field.target_field.name}__exact"
        super().__init__(field, request, params, model, model_admin, field_path)
        remote = field.remote_field.model
        self.chooser = forms.ModelChoiceField(
            queryset=remote._default_manager.all(),
            widget=AutocompleteSelect(field, model_admin.admin_site),
            required=False,
        )
        self.title = getattr(field, "verbose_name", field_path)

    def expected_parameters(self) -> list[str | None]:
        return [self.lookup_kwarg]

    def value(self) -> str | None:
        values = self.used_parameters.get(self.lookup_kwarg)
        if isinstance(values, list):
            return str(values[-1]) if values else None
        return str(values) if values is not None else None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if not value.isascii() or not value.isdigit():
            raise IncorrectLookupParameters(f"{self.lookup_kwarg} is not an id")
        return queryset.filter(**{self.lookup_kwarg: int(value)})

    def get_facet_counts(self, pk_attname: str, filtered_qs: QuerySet[Any]) -> dict[str, Any]:
        return {}  # nothing is listed, nothing is counted

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("All"),
        }

    def widget(self) -> SafeString:
        selected = self.value()
        attrs = {
            "data-autocomplete-filter": "1",
            "id": f"filter-{self.field_path}",
            "aria-label": str(self.title),
        }
        return format_html(
            "{}",
            self.chooser.widget.render(self.lookup_kwarg, selected, attrs=attrs),
        )

    @property
    def media(self) -> forms.Media:
        media: forms.Media = self.chooser.widget.media
        return media + forms.Media(js=["js/admin-autocomplete-filter.js"])


def distinct_values(model: type[models.Model], field_name: str) -> list[Any]:
    """The distinct non-empty values of an indexed column, at most ``MAX_VALUES``, sorted."""
    field = model._meta.get_field(field_name)
    column = str(field.column)  # type: ignore[union-attr]
    connection = connections[model._default_manager.db]
    if connection.vendor != "postgresql":
        values = (
            model._default_manager.exclude(**{field_name: ""})
            .order_by(field_name)
            .values_list(field_name, flat=True)
            .distinct()
        )
        return list(values[:MAX_VALUES])
    quote = connection.ops.quote_name
    table, col = quote(model._meta.db_table), quote(column)
    # A loose index scan: each step asks the index for the next value after the last one.
    sql = f"""
        WITH RECURSIVE found(value) AS (
            (SELECT {col} FROM {table} WHERE {col} > '' ORDER BY {col} LIMIT 1)
            UNION ALL
            SELECT (SELECT {col} FROM {table} WHERE {col} > found.value ORDER BY {col} LIMIT 1)
            FROM found WHERE found.value IS NOT NULL
        )
        SELECT value FROM found WHERE value IS NOT NULL LIMIT %s
    """  # noqa: S608 - names quoted from the model's metadata, never from input
    with connection.cursor() as cursor:
        cursor.execute(sql, [MAX_VALUES])
        return [row[0] for row in cursor.fetchall()]


class IndexedValuesFilter(admin.SimpleListFilter):
    """Lists the values of ``source_model.source_field`` (an indexed text column) and filters
    the changelist on ``lookup`` (the same parameter as Django's own field filter)."""

    source_model: type[models.Model]
    source_field: str
    lookup: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A local field keeps the parameter of Django's own filter (links stay valid); the
        # admin refuses an unlisted lookup across a relation, so that one gets a plain name.
        if "__" in self.lookup:
            self.parameter_name = self.lookup.replace("__", "_")
        else:
            self.parameter_name = f"{self.lookup}__exact"
        super().__init__(*args, **kwargs)

    def label(self, value: Any) -> str:
        return str(value)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
        return [
            (value, self.label(value))
            for value in distinct_values(self.source_model, self.source_field)
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(**{self.lookup: value}) if value else queryset


def indexed_values_filter(
    source_model: type[models.Model],
    source_field: str,
    *,
    lookup: str | None = None,
    title: Any = None,
    label: Any = None,
) -> type[IndexedValuesFilter]:
    """An :class:`IndexedValuesFilter` for one column (``lookup`` defaults to it)."""
    attrs: dict[str, Any] = {
        "source_model": source_model,
        "source_field": source_field,
        "lookup": lookup or source_field,
        "title": title or source_model._meta.get_field(source_field).verbose_name,  # type: ignore[union-attr]
    }
    if label is not None:
        attrs["label"] = lambda self, value: str(label(value))
    return type(f"{source_field.title()}ValuesFilter", (IndexedValuesFilter,), attrs)


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Counts with the planner's estimate on PostgreSQL when it is at least ``EXACT_BELOW``
    rows (the table's ``reltuples`` for an unfiltered list, ``EXPLAIN`` otherwise), so a
    changelist of millions of rows never counts them; smaller lists are counted exactly."""

    EXACT_BELOW = 20_000

    @cached_property
    def count(self) -> int:
        records = self.object_list
        if not isinstance(records, QuerySet):
            return super().count
        connection = connections[records.db]
        if connection.vendor != "postgresql":
            return super().count
        estimate = self.estimate(records)
        if estimate is None or estimate < self.EXACT_BELOW:
            return super().count
        return estimate

    @staticmethod
    def estimate(records: QuerySet[Any]) -> int | None:
        connection = connections[records.db]
        if not records.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [records.model._meta.db_table],
                )
                row = cursor.fetchone()
            # -1: never analysed; then the planner is asked instead.
            if row is not None and row[0] >= 0:
                return int(row[0])
        sql, params = records.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str | bytes):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


SEARCH_PREFIXES = {"=": "iexact", "^": "istartswith"}
SEARCH_LOOKUPS = {"exact", "iexact", "contains", "icontains", "startswith", "istartswith"}


def search_lookup(field: str) -> str:
    """The admin's ``search_fields`` entry as a lookup: ``=name`` exact, ``^name`` prefix,
    ``name__exact`` as written, otherwise ``icontains``."""
    if field[0] in SEARCH_PREFIXES:
        return f"{field[1:]}__{SEARCH_PREFIXES[field[0]]}"
    if field.rsplit("__", 1)[-1] in SEARCH_LOOKUPS:
        return field
    return f"{field}__icontains"


class UnionSearchMixin:
    """The admin's search with each field asked apart: ``pk IN (rows by field 1 UNION rows by
    field 2 …)``, every word of the term matching some field as in Django's own search.
    Django ORs the fields in one ``WHERE``; across a join (a member's name on a certificate)
    or over several columns PostgreSQL then reads both tables whole to count and to page,
    where each field's own query reads its index (``search_indexes.trigram_index``)."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        fields = self.get_search_fields(request)  # type: ignore[attr-defined]
        manager = queryset.model._default_manager
        for bit in smart_split(search_term):
            if bit[0] in "\"'" and bit[-1] == bit[0]:
                bit = unescape_string_literal(bit)
            if not bit or not fields:
                continue
            parts = [
                manager.filter(**{search_lookup(field): bit}).order_by().values("pk")
                for field in fields
            ]
            queryset = queryset.filter(pk__in=parts[0].union(*parts[1:]))
        return queryset, False
