"""Per-user rate limits on the annotator loop and on job starts: 429 with ``Retry-After`` past the rate.

Counted per user in the cache (Redis in production, so across processes), on writes only (``POST``
etc.; reading a list is not limited here). Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(``AQC_ANNOTATOR_RATE``, ``AQC_JOB_START_RATE``), read when a request is checked.

The count is atomic, so the limit holds when one user's calls arrive at once on several processes
(a double-clicking UI, a retrying script): DRF's own throttles read the user's history, then write
it back, and concurrent calls that all read before any wrote all passed. Here each call increments
a counter for the current window (``INCR`` in Redis) and is let through only if its own number fits;
a refused call gives its number back. The window slides: the previous window's count weighs by the
share of it still inside the last ``duration`` seconds, so a burst at a window's edge cannot pass
twice the rate.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from annotation_qc.core.cache import window_count


class _WriteRateThrottle(UserRateThrottle):
    wait_seconds: float | None = None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        elapsed = now - window * self.duration
        current_key = f"{key}:{window}"
        # Kept for two windows: the next window weighs this one's count. One round trip to Redis.
        number, previous = window_count(
            self.cache, current_key, f"{key}:{window - 1}", timeout=2 * int(self.duration) + 1
        )
        carried = previous * (1 - elapsed / self.duration)
        if carried + number <= self.num_requests:
            return True
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            self.cache.decr(current_key)  # a refused call does not use up the budget
        self.wait_seconds = _wait(
            limit=self.num_requests,
            duration=self.duration,
            elapsed=elapsed,
            previous=previous,
            current=number - 1,
        )
        return False

    def wait(self) -> float | None:
        return self.wait_seconds


def _wait(*, limit: int, duration: float, elapsed: float, previous: int, current: int) -> float:
    """Seconds until one more call fits: the previous window's weight falling, or this window ending."""
    left_in_window = duration - elapsed
    if current + 1 <= limit and previous > 0:
        # previous * (1 - (elapsed + t) / duration) + current + 1 <= limit
        needed = duration * (1 - (limit - current - 1) / previous) - elapsed
        if 0 < needed <= left_in_window:
            return float(max(1, math.ceil(needed)))
    return float(max(1, math.ceil(left_in_window)))


class AnnotatorLoopThrottle(_WriteRateThrottle):
    """Next task, submit, lint, skip: generous for a person, a brake on a runaway script."""

    scope = "annotator_loop"


class JobStartThrottle(_WriteRateThrottle):
    """Imports, exports, prioritisation, agreement reports, label-error scans started by one user."""

    scope = "job_start"
