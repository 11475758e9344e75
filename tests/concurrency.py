"""Transactions that really overlap, for PostgreSQL tests: threads with their own connections,
and a plain connection of the test's own (the monitor) that sees who waits for a lock and
tries locks without ever waiting."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection, connections
from psycopg import sql

GUARD = 30  # seconds: a race that is stuck fails instead of hanging the suite


@contextmanager
def monitor_connection() -> Iterator[psycopg.Connection]:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as conn:
        yield conn


def waits_for_a_lock(monitor: psycopg.Connection, pid: int) -> bool:
    row = monitor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid]).fetchone()
    return bool(row and row[0])


def can_lock(monitor: psycopg.Connection, table: str, pk: int, mode: str) -> bool:
    """Whether another session could take `mode` on the row right now (never waits)."""
    try:
        with monitor.transaction():
            query = sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR {} NOWAIT")
            monitor.execute(query.format(sql.Identifier(table), sql.SQL(mode)), [pk])
    except psycopg.errors.LockNotAvailable:
        return False
    return True


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the race never reached its next step")
        time.sleep(0.002)


def race(
    first: Callable[[Callable[[], None]], Any],
    second: Callable[[], Any],
    monitor: psycopg.Connection,
) -> list[BaseException]:
    """Run `first` until it calls the pause it is given (from a patched call, holding its
    locks), then `second`; `first` goes on once `second` has finished or waits for a lock.
    Returns what either raised (a deadlock is an OperationalError in one of them)."""
    paused, second_done = threading.Event(), threading.Event()
    second_pid: list[int] = []
    errors: list[BaseException] = []

    def pause() -> None:
        paused.set()
        wait_until(
            lambda: (
                second_done.is_set()
                or bool(second_pid and waits_for_a_lock(monitor, second_pid[0]))
            )
        )

    def run_first() -> None:
        try:
            first(pause)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            paused.set()
            connections.close_all()

    def run_second() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            paused.wait(GUARD)
            second()
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * GUARD)
    assert not any(thread.is_alive() for thread in threads), "a transaction never finished"
    return errors
