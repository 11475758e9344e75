"""Row locks, taken one way by every app (the lock order is in docs/architecture.md).

Rows are locked ``FOR NO KEY UPDATE``: it still excludes every other writer of the row, but
not the ``FOR KEY SHARE`` lock PostgreSQL's foreign-key checks take on the row a new child
row points to (a review cycle inserted for a licence, say). A plain ``FOR UPDATE`` would make
those checks wait; and as Django defers them to COMMIT, after the audit chain lock, a
transaction holding the chain lock would wait on the row lock of one waiting for the chain
lock: a deadlock. We never change primary keys, so the weaker lock is enough.

``of=("self",)`` locks only the model's own rows, not the rows ``select_related`` joins in.
"""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def for_update(queryset: models.QuerySet[M], *, skip_locked: bool = False) -> models.QuerySet[M]:
    """`queryset` locking its rows until the transaction ends. Several rows: order them
    (``order_by("pk")``) so that two transactions lock them in the same order."""
    return queryset.select_for_update(no_key=True, of=("self",), skip_locked=skip_locked)


def lock(model: type[M], pk: Any) -> M:
    """The row `pk` of `model`, locked until the transaction ends."""
    return for_update(model._default_manager.all()).get(pk=pk)
