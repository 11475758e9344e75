"""Declared state machines: one table per model, checked by the services that move it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
    return transition_target(table, action, obj.status, current_label=str(obj.get_status_display()))


def allowed_actions(table: Mapping[str, Transition], current: str) -> list[str]:
    return [action for action, transition in table.items() if current in transition.sources]
