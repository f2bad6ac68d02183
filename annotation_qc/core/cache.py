"""A Redis cache that falls back to a process-local cache while Redis is unreachable.

The cache only holds hints and counters (dispatch's lease-reclaim throttle, a short-lived
prediction flag, the login throttle's counters). With Redis down, every call goes to an in-process
``LocMemCache`` instead, with a warning in the log, so the annotator loop and sign-in keep working
and keep their limits: the login rate limit holds per process (so at most the limit times the
number of web processes), and the "once per interval" guards still guard. After a failure Redis is
not tried again for ``RETRY_AFTER_SECONDS``, so an outage costs one connection timeout per process
and interval, not one per call.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5.0
Method = TypeVar("Method", bound=Callable[..., Any])

#: Until when (``time.monotonic()``) each Redis location counts as down, shared by the process's threads.
_down_until: dict[str, float] = {}
_down_lock = threading.Lock()


def _with_fallback(method: Method) -> Method:
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: FailOpenRedisCache, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < _down_until.get(self.location, 0.0):
            return getattr(self.fallback, name)(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as exc:
            with _down_lock:
                _down_until[self.location] = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "cache unavailable; %s served by the process-local cache",
                name,
                extra={"error": str(exc), "retry_after_seconds": RETRY_AFTER_SECONDS},
            )
            return getattr(self.fallback, name)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one redis-py client per server reused for every call.

    Django builds a new ``redis.Redis`` for each cache call, and each one fills its table of a few
    hundred response callbacks (a quarter of a cache call's own time on the annotator loop). A
    client holds no connection of its own (each command borrows one from the server's pool), so one
    per server serves every call of the cache instance (Django's caches are per thread).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[bool, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        if len(self._servers) > 1:  # type: ignore[attr-defined]  # reads spread over replicas per call
            return super().get_client(key, write=write)
        client = self._clients.get(write)
        if client is None:
            client = self._clients[write] = super().get_client(key, write=write)
        return client


class FailOpenRedisCache(RedisCache):
    """``RedisCache`` served from a process-local ``LocMemCache`` while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self.location = server
        # LocMemCache instances with one name share their store: every thread of the process sees it.
        self.fallback = LocMemCache(
            f"aqc-redis-fallback:{server}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", "")},
        )

    get = _with_fallback(RedisCache.get)
    add = _with_fallback(RedisCache.add)
    set = _with_fallback(RedisCache.set)
    touch = _with_fallback(RedisCache.touch)
    delete = _with_fallback(RedisCache.delete)
    has_key = _with_fallback(RedisCache.has_key)
    incr = _with_fallback(RedisCache.incr)
    get_many = _with_fallback(RedisCache.get_many)
    set_many = _with_fallback(RedisCache.set_many)
    delete_many = _with_fallback(RedisCache.delete_many)

    def window_count(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        """:func:`window_count` in one round trip: ``SET NX EX``, ``INCR`` and the previous window's
        ``GET`` in one ``MULTI``/``EXEC`` (the counter never exists without its expiry)."""
        if time.monotonic() < _down_until.get(self.location, 0.0):
            return window_count(self.fallback, key, previous_key, timeout)
        try:
            current, previous = self.make_and_validate_key(key), self.make_and_validate_key(previous_key)
            # One server holds both keys (one location; the counters are plain integers, as
            # ``RedisCache.incr`` stores them).
            client = self._cache.get_client(current, write=True)  # type: ignore[attr-defined]
            pipe = client.pipeline(transaction=True)
            pipe.set(current, 0, ex=timeout, nx=True)
            pipe.incr(current)
            pipe.get(previous)
            _, number, before = pipe.execute()
        except UNREACHABLE as exc:
            with _down_lock:
                _down_until[self.location] = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "cache unavailable; window_count served by the process-local cache",
                extra={"error": str(exc), "retry_after_seconds": RETRY_AFTER_SECONDS},
            )
            return window_count(self.fallback, key, previous_key, timeout)
        return int(number), int(before or 0)


def window_count(cache: Any, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
    """Count one call in a rate window: ``key``'s counter incremented (made with ``timeout`` if new),
    and the count of ``previous_key``'s window. Redis does it in one round trip
    (:meth:`FailOpenRedisCache.window_count`); other caches in three calls."""
    own = getattr(cache, "window_count", None)
    if own is not None:
        return own(key, previous_key, timeout)
    cache.add(key, 0, timeout=timeout)
    try:
        number = int(cache.incr(key))
    except ValueError:  # expired between the two calls: this call opens the window
        cache.add(key, 0, timeout=timeout)
        number = int(cache.incr(key))
    return number, int(cache.get(previous_key) or 0)


def redis_answering(backend: object) -> bool:
    """Whether ``backend`` is a shared Redis cache that answered its last call (circuit closed)."""
    return isinstance(backend, FailOpenRedisCache) and time.monotonic() >= _down_until.get(
        backend.location, 0.0
    )
