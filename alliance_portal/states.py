"""Declared state machines: one table per model, checked by the services that move it."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _

from .cache_versions import rows_written_announce


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str

    @classmethod
    def of(cls, sources: Iterable[str], target: str) -> "Transition":
        return cls(frozenset(sources), target)


class IllegalTransition(ValidationError):
    """Refused: the object is not in a state this action starts from."""


def transition_target(
    table: Mapping[str, Transition], action: str, current: str, *, current_label: str = ""
) -> str:
    """The state `action` leads to from `current`, or IllegalTransition with a clear message."""
    transition = table[action]
    if current not in transition.sources:
        raise IllegalTransition(
            _("This cannot be done while the status is “%(status)s”.")
            % {"status": current_label or current},
            code="illegal_transition",
        )
    return transition.target


class Stateful(Protocol):
    """A model with a ``status`` field of choices."""

    status: str

    def get_status_display(self) -> str: ...


def move(obj: Stateful, table: Mapping[str, Transition], action: str) -> str:
    """The state `action` takes `obj` to, or IllegalTransition naming its current status.
    The one helper every service moves its objects with."""
    # The label only names the status in the refusal (a job moves thousands of rows).
    allowed = obj.status in table[action].sources
    label = "" if allowed else str(obj.get_status_display())
    return transition_target(table, action, obj.status, current_label=label)


def allowed_actions(table: Mapping[str, Transition], current: str) -> list[str]:
    return [action for action, transition in table.items() if current in transition.sources]


def statuses_save(rows: Sequence[Any]) -> None:
    """Write the status each of ``rows`` (locked, of one model) was moved to, in one
    statement: a job's batch. On PostgreSQL the ids and statuses go in as two arrays
    (``bulk_update``'s CASE per row cost more than the rest of an expiry batch)."""
    if not rows:
        return
    model: type[models.Model] = type(rows[0])
    rows_written_announce(model, rows)
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, ["status"])
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET status = v.status "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, status) WHERE t.id = v.id",
            [[row.pk for row in rows], [row.status for row in rows]],
        )
