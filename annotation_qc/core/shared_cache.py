"""Entries shared by every process through Redis, never served from a process-local copy.

For what must be invalidated across processes at once (authentication, membership, project
settings): with Redis unreachable (``core.cache``'s circuit open) reads bypass the cache and go to
the database, and nothing is written; a value read while Redis failed mid-call is not trusted.
Invalidations delete the keys at once and again after the transaction commits (so a reader that
cached the old row between the write and the commit is undone); those made while Redis is down
are remembered by the process and replayed as soon as Redis answers again, and the entries' short
lifetime (``SHARED_CACHE_SECONDS``) bounds what a process that died meanwhile could leave behind.

With a non-Redis cache (tests, the embedded default) entries are not cached at all, unless the
``SHARED_CACHE_ANY_BACKEND`` setting says the backend is shared (a single-process test).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from annotation_qc.core.cache import FailOpenRedisCache, redis_answering

_pending: set[str] = set()
_pending_lock = threading.Lock()


def _cache() -> Any:
    return caches["default"]


def _enabled() -> bool:
    return redis_answering(_cache()) or bool(settings.ANNOTATION_QC.get("SHARED_CACHE_ANY_BACKEND"))


def _trusted() -> bool:
    """Enabled, with any invalidation missed during an outage replayed first."""
    if not _enabled():
        return False
    if _pending:
        with _pending_lock:
            keys = list(_pending)
            _pending.clear()
        _delete(keys)
        return _enabled()
    return True


def _delete(keys: list[str]) -> None:
    _cache().delete_many(keys)
    if not _enabled():  # Redis failed during the call: the shared copies are still there
        with _pending_lock:
            _pending.update(keys)


def get_many(keys: list[str]) -> dict[str, Any]:
    """The cached values of ``keys`` (missing keys absent); empty when Redis cannot be trusted."""
    if not _trusted():
        return {}
    values = _cache().get_many(keys)
    return values if _enabled() else {}


def set_many(values: dict[str, Any]) -> None:
    if values and _trusted():
        _cache().set_many(values, settings.ANNOTATION_QC["SHARED_CACHE_SECONDS"])


def forget(keys: Iterable[str]) -> None:
    """Invalidate ``keys`` in every process: now, and again once the transaction commits."""
    keys = list(keys)
    if not keys:
        return
    if not _enabled():
        if isinstance(_cache(), FailOpenRedisCache):  # down: delete the shared copies once it answers
            with _pending_lock:
                _pending.update(keys)
        return
    _delete(keys)
    transaction.on_commit(lambda: _delete(keys))
