"""Versioned cache namespaces: what a page caches is keyed by its namespace's version, and
the services that change what the page shows bump the version, at once and again when their
transaction has committed: a reader between the two could cache the old rows under the first
new version, which the second one leaves behind. A rollback only costs a cache miss.

The version is a random token kept in the cache itself, so every process sharing the cache
sees a bump at once; if the cache loses it, a new token is drawn and the old entries are
simply never read again.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

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
