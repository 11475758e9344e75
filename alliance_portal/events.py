"""Domain events: what happened to a record, announced to whoever listens (the API's webhooks).

The services that cause an event call ``event_record(name, target)`` inside their own
transaction. This app sits below the ones that listen, so listeners register themselves (in
their ``AppConfig.ready``) with ``event_subscribe``; each is called right there, in the same
transaction, and records what it needs (outbox rows) — so an event is announced exactly when
its change commits, and never when it rolls back.
"""

from collections.abc import Callable, Sequence

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class EventName(models.TextChoices):
    APPLICATION_SUBMITTED = "application.submitted", _("Application submitted")
    APPLICATION_DECIDED = "application.decided", _("Application decided")
    LICENCE_SIGNED = "licence.signed", _("Licence signed")
    LICENCE_STATUS_CHANGED = "licence.status_changed", _("Licence status changed")
    CYCLE_SUBMITTED = "cycle.submitted", _("Review cycle submitted")
    CYCLE_DECIDED = "cycle.decided", _("Review cycle decided")
    FINDING_RAISED = "finding.raised", _("Finding raised")
    CASE_DECIDED = "case.decided", _("Forfeiture case decided")
    CERTIFICATE_ISSUED = "certificate.issued", _("Certificate issued")
    CERTIFICATE_REVOKED = "certificate.revoked", _("Certificate revoked")


# A listener is told of one event about each of the targets (a job's batch: many at once).
Listener = Callable[[str, Sequence[models.Model]], None]
_listeners: list[Listener] = []


def event_subscribe(listener: Listener) -> None:
    """Called once per process by a higher app; the same listener twice is one listener."""
    if listener not in _listeners:
        _listeners.append(listener)


def event_record(name: str, target: models.Model) -> None:
    """Announce ``name`` about ``target`` in the caller's transaction."""
    event_record_many(name, [target])


def event_record_many(name: str, targets: Sequence[models.Model]) -> None:
    """Announce ``name`` about each of ``targets`` in the caller's transaction (a job's
    batch): as many events as :func:`event_record` called for each."""
    if name not in EventName.values:
        raise ValueError(f"unknown event {name!r}")
    if not targets:
        return
    with transaction.atomic():
        for listener in _listeners:
            listener(name, targets)
