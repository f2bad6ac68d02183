"""Per-user rate limits on the annotator loop and on job starts: 429 with ``Retry-After`` past the rate.

Counted per user in the cache (Redis in production, so across processes), on writes only (``POST``
etc.; reading a list is not limited here). Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(``AQC_ANNOTATOR_RATE``, ``AQC_JOB_START_RATE``), read when a request is checked.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class _WriteRateThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnnotatorLoopThrottle(_WriteRateThrottle):
    """Next task, submit, lint, skip: generous for a person, a brake on a runaway script."""

    scope = "annotator_loop"


class JobStartThrottle(_WriteRateThrottle):
    """Imports, exports, prioritisation, agreement reports, label-error scans started by one user."""

    scope = "job_start"
