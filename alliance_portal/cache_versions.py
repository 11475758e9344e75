"""Versioned cache namespaces: what a page caches is keyed by its namespace's version, and
the services that change what the page shows bump the version, at once and again when their
transaction has committed: a reader between the two could cache the old rows under the first
new version, which the second one leaves behind. A rollback only costs a cache miss.

The version is a random token kept in the cache itself, so every process sharing the cache
sees a bump at once; if the cache loses it, a new token is drawn and the old entries are
simply never read again.
"""

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import models, transaction
from django.dispatch import Signal

PUBLIC_REGISTER = "public-register"

VERSION_TIMEOUT = None  # a version stays until bumped (or evicted, which is also safe)


def _key(namespace: str) -> str:
    return f"cache-version:{namespace}"


def namespace_version(namespace: str) -> str:
    version = cache.get(_key(namespace))
    if version is None:
        fresh = uuid.uuid4().hex
        # add(): two processes drawing at once agree on the first one stored.
        cache.add(_key(namespace), fresh, timeout=VERSION_TIMEOUT)
        version = cache.get(_key(namespace)) or fresh
    return str(version)


def namespace_bump_now(namespace: str) -> None:
    cache.set(_key(namespace), uuid.uuid4().hex, timeout=VERSION_TIMEOUT)


def namespace_bump(namespace: str) -> None:
    """Forget what was cached under ``namespace``, now and once the current transaction
    commits."""
    namespace_bump_now(namespace)
    transaction.on_commit(lambda: namespace_bump_now(namespace))


def public_register_changed() -> None:
    """Called by every service that changes what the public register shows: a licence
    entering or leaving good standing, a member's listing consent, name or country."""
    namespace_bump(PUBLIC_REGISTER)


def namespaces_version(namespaces: list[str]) -> list[str]:
    """The versions of ``namespaces``, in order, read in one round trip (a missing one is drawn
    as :func:`namespace_version` would)."""
    if not namespaces:
        return []
    found = cache.get_many([_key(namespace) for namespace in namespaces])
    return [
        str(found[_key(namespace)]) if _key(namespace) in found else namespace_version(namespace)
        for namespace in namespaces
    ]


def namespaces_bump_now(namespaces: Iterable[str]) -> None:
    cache.set_many({_key(namespace): uuid.uuid4().hex for namespace in namespaces}, VERSION_TIMEOUT)


def namespaces_bump(namespaces: Iterable[str]) -> None:
    """:func:`namespace_bump` for several namespaces, in one round trip each time."""
    names = sorted(set(namespaces))
    if not names:
        return
    namespaces_bump_now(names)
    transaction.on_commit(lambda: namespaces_bump_now(names))


# Writes that send no model signal (``bulk_create``, ``queryset.update``, raw SQL) announce
# themselves here, so a higher app that keeps a cache of those rows can forget it without the
# lower app knowing of that cache. sender: the model class; rows: the instances written.
rows_written = Signal()


def rows_written_announce(model: type[models.Model], rows: Iterable[models.Model]) -> None:
    written = list(rows)
    if written:
        rows_written.send(sender=model, rows=written)
