"""An admin list as rows of plain values, written as CSV or XLSX.

Each column is a ``list_display``-style name (a field, a method of the admin or the model,
``__str__``) and shows what the list shows: choice labels, related objects by name, ``Yes`` /
``No``; dates as ISO text, empty cells for nothing, HTML as its text. Every text cell goes
through :func:`alliance_portal.spreadsheets.spreadsheet_cell` in both formats, so a value a
spreadsheet would take for a formula arrives as inert text.
"""

import html
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from django.utils.text import capfirst
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..spreadsheets import SafeCsvWriter, spreadsheet_cell

Cell = str | int | float | Decimal
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spreadsheet programs read a UTF-8 CSV as the system's code page without it (Cyrillic names).
BYTE_ORDER_MARK = "\ufeff"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    name: str | Callable[[Any], Any]
    label: str


def columns_for(model_admin: "admin.ModelAdmin[Any]", names: Iterable[Any]) -> list[Column]:
    """The columns, headed as the admin list heads them."""
    model = model_admin.model
    return [
        Column(name, capfirst(str(label_for_field(name, model, model_admin))))
        for name in names
        if name != "action_checkbox"
    ]


def plain(value: Any, field: models.Field[Any, Any] | None = None) -> Cell:
    """One value as a spreadsheet shows it best: numbers stay numbers, the rest is text."""
    if field is not None and getattr(field, "flatchoices", None) and value is not None:
        value = dict(field.flatchoices).get(value, value)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime):
        moment: datetime = timezone.localtime(value) if timezone.is_aware(value) else value
        return moment.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, SafeData):
        # A column the admin renders as HTML (a coloured day count, a link): its text.
        return " ".join(html.unescape(strip_tags(str(value))).split())
    return str(value)


def row_of(obj: models.Model, columns: list[Column], model_admin: Any) -> list[Cell]:
    row: list[Cell] = []
    for column in columns:
        try:
            field, attr, value = lookup_field(column.name, obj, model_admin)
        except (AttributeError, ObjectDoesNotExist):
            # As the admin list shows a missing related object: an empty cell.
            row.append("")
            continue
        if getattr(attr, "boolean", False):
            value = bool(value) if value is not None else None
        row.append(plain(value, field))
    return row


def rows_of(
    objects: Iterable[models.Model], columns: list[Column], model_admin: Any
) -> Iterator[list[Cell]]:
    for obj in objects:
        yield row_of(obj, columns, model_admin)


# --- CSV -------------------------------------------------------------------------------------


class _Line:
    """What ``csv.writer`` writes, handed back instead of kept (for streaming)."""

    def write(self, text: str) -> str:
        return text


def csv_lines(columns: list[Column], rows: Iterable[list[Cell]]) -> Iterator[str]:
    """The CSV text, one line at a time, starting with the byte-order mark and the header."""
    writer = SafeCsvWriter(_Line())
    yield BYTE_ORDER_MARK + writer.writerow([column.label for column in columns])
    for row in rows:
        yield writer.writerow(row)


def csv_write(
    handle: IO[str],
    columns: list[Column],
    rows: Iterable[list[Cell]],
    progress: Callable[[int], None] = lambda done: None,
    every: int = 500,
) -> int:
    """Write the CSV to ``handle``; ``progress(rows so far)`` every ``every`` rows."""
    handle.write(BYTE_ORDER_MARK)
    writer = SafeCsvWriter(handle)
    writer.writerow([column.label for column in columns])
    done = 0
    for row in rows:
        writer.writerow(row)
        done += 1
        if done % every == 0:
            progress(done)
    return done


# --- XLSX ------------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
    """Excel refuses sheet names over 31 characters or with any of ``[]:*?/\\``."""
    return _SHEET_TITLE_FORBIDDEN.sub(" ", text).strip()[:31] or "Sheet"


def xlsx_cell(value: Cell) -> Cell:
    """Inert like a CSV cell; and without the control characters XLSX cannot hold."""
    if isinstance(value, str):
        value = str(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value if not isinstance(value, str) else str(spreadsheet_cell(value))


def xlsx_write(
    handle: IO[bytes],
    title: str,
    columns: list[Column],
    rows: Iterable[list[Cell]],
    progress: Callable[[int], None] = lambda done: None,
    every: int = 500,
) -> int:
    """Write the workbook to ``handle`` row by row (openpyxl's write-only mode keeps no rows
    in memory); ``progress(rows so far)`` every ``every`` rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([xlsx_cell(column.label) for column in columns])
    done = 0
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
        done += 1
        if done % every == 0:
            progress(done)
    workbook.save(handle)
    return done
