"""A Redis cache that degrades to misses while Redis is unreachable.

The cache only holds hints (dispatch's lease-reclaim throttle, a short-lived prediction flag, the
login throttle's counters): with Redis down, a read is a miss and a write is dropped, with a warning
in the log, so the annotator loop and sign-in keep working (the login rate limit is not enforced
until Redis is back).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
Method = TypeVar("Method", bound=Callable[..., Any])


def _fail_open(fallback: Callable[..., Any]) -> Callable[[Method], Method]:
    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        def wrapper(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                logger.warning(
                    "cache unavailable; %s served without it", method.__name__, extra={"error": str(exc)}
                )
                return fallback(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


class FailOpenRedisCache(RedisCache):
    """``RedisCache`` whose reads miss and whose writes are dropped while Redis is unreachable.

    ``add`` reports success, so a caller using it as a "once per interval" guard does the work.
    """

    get = _fail_open(_default)(RedisCache.get)
    add = _fail_open(lambda *a, **k: True)(RedisCache.add)
    set = _fail_open(lambda *a, **k: None)(RedisCache.set)
    touch = _fail_open(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_open(lambda *a, **k: False)(RedisCache.delete)
    has_key = _fail_open(lambda *a, **k: False)(RedisCache.has_key)
    get_many = _fail_open(lambda *a, **k: {})(RedisCache.get_many)
    set_many = _fail_open(lambda keys, *a, **k: list(keys))(RedisCache.set_many)
    delete_many = _fail_open(lambda *a, **k: None)(RedisCache.delete_many)
