"""Queueing Celery work from services (through the outbox), and the periodic jobs' lock."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from django.core.cache import cache

from .outbox import task_queue


def enqueue_on_commit(task: Task[..., Any], *args: Any, **kwargs: Any) -> None:
    """Record `task` in the current transaction; the outbox relay sends it to the broker
    after the commit (never if the transaction rolls back, never from the request)."""
    task_queue(task, args=args, kwargs=kwargs)


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
