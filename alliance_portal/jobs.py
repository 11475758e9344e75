"""Queueing Celery work from services: after the commit, and never failing the request."""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task` once the current transaction commits.

    If the broker is down the work is logged as not queued and the request still succeeds;
    jobs whose loss matters are picked up again by their sweeper.
    """

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs, retry=False)
        except OperationalError:
            logger.exception("Could not queue %s: broker unavailable", task.name)

    transaction.on_commit(send, robust=True)
