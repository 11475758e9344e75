"""Django's Redis cache, with a fallback so the portal keeps working while Redis is down.

What the cache holds here (rate limits of allauth and of /verify/, allauth's TOTP replay
guard, the periodic jobs' lock) must keep answering without Redis; a 500 on login is worse
than limits counted per process for a while. So when Redis cannot be reached the cache:

- gives up quickly: short socket connect and read timeouts and no retries (set here as
  defaults, so a dead or black-holed Redis costs one timeout, not the OS's minutes);
- falls back to this process's memory (a `LocMemCache`): limits still limit, counted per
  process rather than across them, and nothing is written to the database;
- leaves Redis alone for `RETRY_AFTER` seconds (a circuit breaker shared by the threads of
  the process), then lets one call try it again, so it recovers by itself;
- logs the fallback once when it starts (a warning) and once when Redis is back (info),
  not per request; what the fallback held is then dropped, as Redis has the truth again.

django-redis only has "ignore exceptions", which turns the cache into a no-op (rate limits
off, `add()` failing), and pybreaker would add a dependency for the thirty lines below.
"""

import logging
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "Redis is not there", as opposed to a wrong command or a missing key.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

DEFAULT_SOCKET_TIMEOUT = 0.5  # seconds, for connecting and for each reply
DEFAULT_RETRY_AFTER = 10.0  # seconds Redis is left alone after a failure
DEFAULT_FALLBACK_ENTRIES = 10_000

# Tests replace this to move time forward instead of waiting.
monotonic = time.monotonic


class _Circuit:
    """Whether Redis may be tried, for one server, shared by every thread of the process
    (Django builds a cache object per thread; the state and the log must not be per thread).
    """

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.retry_at: float | None = None  # None: closed, Redis is used
        self.lock = threading.Lock()

    def allows(self) -> bool:
        if self.retry_at is None:
            return True
        with self.lock:
            if self.retry_at is None:
                return True
            now = monotonic()
            if now < self.retry_at:
                return False
            # This call probes Redis; the others keep using the fallback meanwhile.
            self.retry_at = now + self.retry_after
            return True

    def trip(self) -> bool:
        """Open after a failure; True if Redis was considered up until now."""
        with self.lock:
            was_closed = self.retry_at is None
            self.retry_at = monotonic() + self.retry_after
            return was_closed

    def close(self) -> bool:
        """Close after a success; True if it was open."""
        if self.retry_at is None:
            return False
        with self.lock:
            was_open = self.retry_at is not None
            self.retry_at = None
            return was_open


_circuits: dict[str, _Circuit] = {}
_circuits_lock = threading.Lock()


def _circuit_for(location: str, retry_after: float) -> _Circuit:
    with _circuits_lock:
        circuit = _circuits.get(location)
        if circuit is None:
            circuit = _circuits[location] = _Circuit(retry_after)
        return circuit


def _redacted(location: str) -> str:
    """The server address without its password, for the log."""
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


class FallbackRedisCache(RedisCache):
    """`RedisCache` that answers from process memory while Redis cannot be reached.

    OPTIONS as for `RedisCache` (they go to redis-py's connection pool), plus:
    RETRY_AFTER: seconds to leave Redis alone after a failure (default 10);
    FALLBACK_MAX_ENTRIES: size of the in-process fallback (default 10,000).
    socket_connect_timeout and socket_timeout default to half a second.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("RETRY_AFTER", DEFAULT_RETRY_AFTER))
        fallback_entries = int(options.pop("FALLBACK_MAX_ENTRIES", DEFAULT_FALLBACK_ENTRIES))
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        # As RedisCache splits them (its own attribute is not in the type stubs).
        self._urls = re.split("[;,]", server) if isinstance(server, str) else list(server)
        location = ",".join(self._urls)
        self._location = ", ".join(_redacted(url) for url in self._urls)
        self._circuit = _circuit_for(location, retry_after)
        # Same prefix, version and key function, so keys look alike in both stores.
        self._fallback = LocMemCache(
            f"redis-fallback:{location}",
            {
                **{k: v for k, v in params.items() if k not in ("OPTIONS", "LOCATION")},
                "OPTIONS": {"MAX_ENTRIES": fallback_entries},
            },
        )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if not self._circuit.allows():
            return getattr(self._fallback, method)(*args, **kwargs)
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except REDIS_DOWN as error:
            if self._circuit.trip():
                logger.warning(
                    "Redis cache at %s unavailable (%s): rate limits and locks use this "
                    "process's memory until it answers again (tried every %g s)",
                    self._location,
                    error,
                    self._circuit.retry_after,
                )
            else:
                logger.debug("Redis cache at %s still unavailable: %s", self._location, error)
            return getattr(self._fallback, method)(*args, **kwargs)
        if self._circuit.close():
            logger.info("Redis cache at %s answers again; back to Redis", self._location)
            self._fallback.clear()
        return result

    # Every operation of RedisCache; BaseCache builds the rest (decr, get_or_set, the async
    # variants …) on these.
    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._call("clear")
