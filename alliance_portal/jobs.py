"""Queueing Celery work from services: after the commit, and never failing the request."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from django.core.cache import cache
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


@contextmanager
def job_lock(name: str, *, timeout: int = 30 * 60) -> Iterator[bool]:
    """Yields True for the one process that may run job `name` now (two beats at once are
    safe). The lock lives in the shared cache, so it holds across processes and machines."""
    key = f"job-lock:{name}"
    acquired = cache.add(key, "1", timeout=timeout)
    try:
        yield bool(acquired)
    finally:
        if acquired:
            cache.delete(key)
