"""Exports of the admin's lists as CSV and XLSX: short ones at once, long ones by a worker."""

from .mixin import ExportAdminMixin
from .services import (
    export_job_run,
    export_job_start,
    export_list,
    exportable_admin,
    exports_expire,
)

__all__ = [
    "ExportAdminMixin",
    "export_job_run",
    "export_job_start",
    "export_list",
    "exportable_admin",
    "exports_expire",
]
