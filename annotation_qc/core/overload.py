"""Load shedding: a request that would wait too long for a web worker is answered 503 at once.

When more requests arrive than the web workers can serve, the surplus waits in a queue in front of
them, and without a bound on that queue every answer gets slower for everyone. Each request is
therefore checked before anything else runs (no session, no token, no database): if the server is
saturated it is answered ``503`` with ``Retry-After`` (a random 1-2x ``AQC_SHED_RETRY_AFTER``
seconds, so shed clients do not come back together), which costs a millisecond instead of a
database round trip, so the queue drains and the wait stays bounded. Two measures, one for each
place the queue can be, both covering every process of the server:

- **The listen socket's accept queue.** gunicorn's sync workers share one listening socket and take
  connections from it one at a time; the connections the kernel holds for them are the queue,
  whichever worker takes the next one. Its length is read from the kernel when a worker starts a
  request (Linux ``TCP_INFO`` on the listening socket: a system call, no lock; ``config/gunicorn.py``
  hands each worker's listeners and the server's concurrency, workers x threads, to
  :func:`listeners_set`). The wait it means is estimated as length x this process's mean service
  time (an exponential average of the requests it served) / concurrency, and the request is shed
  when that is over ``AQC_SHED_QUEUE_MS``, or when the length alone is over ``AQC_SHED_BACKLOG`` (a
  cap that holds before any service time is known). On a Unix socket or another OS this measure is
  off.
- **Time spent queued.** gunicorn's gthread workers accept connections at once and queue them for
  their threads inside the process, where the accept queue does not show them;
  ``config.gunicorn_workers.QueueTimedThreadWorker`` (what ``config/gunicorn.py`` uses for
  ``GUNICORN_WORKER_CLASS=gthread``) stamps each request when it is queued (:func:`queued_at_set`),
  and one that waited more than ``AQC_SHED_QUEUE_MS`` is shed. Behind a proxy that stamps requests
  (nginx: ``proxy_set_header X-Request-Start "t=${msec}";``) the wait is measured from that header
  too, with ``AQC_SHED_TRUST_REQUEST_START`` on (only where the proxy overwrites any such header a
  client sends).

Requests that finish work an annotator holds (submit, skip) are shed only past
``AQC_SHED_FINISH_FACTOR`` times these limits, so under overload new tasks wait before answers do.
``0`` turns a measure off. ``/healthz`` is never shed (a load balancer must not take a busy server
for a dead one). Outside gunicorn (``runserver``, tests) neither measure has anything to read, so
nothing is shed.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

logger = logging.getLogger(__name__)

#: ``struct tcp_info``: for a listening socket Linux reports the accept queue's length in
#: ``tcpi_unacked`` and its limit in ``tcpi_sacked`` (two u32 after 8 one-byte fields and 4 u32).
_TCP_INFO_SIZE = 104
_BACKLOG_OFFSET = 24
EXEMPT_PATHS = frozenset({"/healthz"})
#: Answers to held tasks: finishing work frees its slot, so these are shed last.
FINISHING = re.compile(r"^/api/v1/tasks/[^/]+/(?:submit|skip)/$")

_listeners: list[Any] = []
_server = {"concurrency": 1, "threads": 1}
#: Requests queued in this process for one of its threads (gthread workers), not yet picked up.
_waiting = {"count": 0}
_waiting_lock = threading.Lock()
_local = threading.local()
#: This process's mean service time (ms), an exponential average with this weight per request.
SERVICE_WEIGHT = 0.05
_service: dict[str, float | None] = {"mean_ms": None}
#: Sheds since the last log line, and when that was (one warning per LOG_EVERY_SECONDS at most).
LOG_EVERY_SECONDS = 10.0
_shed_log = {"count": 0, "logged_at": 0.0}
_shed_log_lock = threading.Lock()


def listeners_set(sockets: Iterable[Any], *, concurrency: int = 1, threads: int = 1) -> None:
    """The listening sockets of this server process, how many requests the whole server serves at
    once and this process's threads (gunicorn hands its worker's after start-up)."""
    _listeners[:] = [s for s in sockets if _backlog_of(s) is not None]
    _server["concurrency"] = max(1, int(concurrency))
    _server["threads"] = max(1, int(threads))


def waiting_add(n: int) -> None:
    """A request queued in this process for a thread (+1), or picked up by one (-1)."""
    with _waiting_lock:
        _waiting["count"] = max(0, _waiting["count"] + n)


def waiting_in_process() -> int:
    return _waiting["count"]


def service_observe(ms: float) -> None:
    """Counts one served request into this process's mean service time."""
    mean = _service["mean_ms"]
    _service["mean_ms"] = ms if mean is None else mean + SERVICE_WEIGHT * (ms - mean)


def service_mean_ms() -> float | None:
    return _service["mean_ms"]


def service_reset(mean_ms: float | None = None) -> None:
    _service["mean_ms"] = mean_ms


def accept_backlog() -> int | None:
    """Connections waiting to be accepted on this server's listening sockets; None when unknown."""
    if not _listeners:
        return None
    lengths = [_backlog_of(s) for s in _listeners]
    known = [n for n in lengths if n is not None]
    return sum(known) if known else None


def _backlog_of(sock: Any) -> int | None:
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except (AttributeError, OSError, ValueError):  # not TCP (a Unix socket), not Linux, closed
        return None
    if len(raw) < _BACKLOG_OFFSET + 4:
        return None
    return int(struct.unpack_from("=I", raw, _BACKLOG_OFFSET)[0])


def queued_at_set(epoch_seconds: float | None) -> None:
    """When the request this thread is about to serve was queued (``time.time()``); None after it."""
    _local.queued_at = epoch_seconds


def queued_at() -> float | None:
    value: float | None = getattr(_local, "queued_at", None)
    return value


def parse_request_start(header: str) -> float | None:
    """A proxy's ``X-Request-Start`` (``t=`` seconds, milliseconds or microseconds since the epoch)."""
    text = header.strip().removeprefix("t=")
    try:
        value = float(text)
    except ValueError:
        return None
    if not value > 0 or value != value or value == float("inf"):
        return None
    while value > 1e11:  # milliseconds (1e12 today) or microseconds (1e15): to seconds
        value /= 1000
    return value


def queue_wait_ms(request: HttpRequest, *, now: float | None = None) -> float | None:
    """How long the request waited for a worker, in ms; None when nothing measured it."""
    started = queued_at()
    if started is None and _conf("SHED_TRUST_REQUEST_START"):
        header = request.META.get("HTTP_X_REQUEST_START")
        started = parse_request_start(header) if header else None
    if started is None:
        return None
    return max(0.0, ((time.time() if now is None else now) - started) * 1000)


def _conf(name: str) -> Any:
    return settings.ANNOTATION_QC.get(name)


def overloaded(request: HttpRequest) -> dict[str, Any] | None:
    """What says the server is saturated for this request (None: serve it)."""
    factor = float(_conf("SHED_FINISH_FACTOR") or 1) if FINISHING.match(request.path) else 1.0
    limit_ms = float(_conf("SHED_QUEUE_MS") or 0) * factor
    if limit_ms > 0:
        waited = queue_wait_ms(request)
        if waited is not None and waited > limit_ms:
            return {"measure": "queue_ms", "value": round(waited, 1), "limit": limit_ms}
    limit = int(int(_conf("SHED_BACKLOG") or 0) * factor)
    if limit_ms <= 0 and limit <= 0:
        return None
    backlog = accept_backlog() or 0
    waiting = waiting_in_process()
    if not backlog and not waiting:
        return None
    if limit > 0 and backlog + waiting > limit:
        return {"measure": "backlog", "value": backlog + waiting, "limit": limit}
    mean_ms = service_mean_ms()
    if limit_ms > 0 and mean_ms is not None:
        # Behind the accept queue (served by every process) and then this process's own queue.
        expected = backlog * mean_ms / _server["concurrency"] + waiting * mean_ms / _server["threads"]
        if expected > limit_ms:
            return {"measure": "expected_queue_ms", "value": round(expected, 1), "limit": limit_ms}
    return None


#: Set on a shed answer only, so a client tells it from a 503 of a store that failed mid-request.
SHED_HEADER = "X-Load-Shed"


def retry_after_seconds() -> int:
    """1-2x the configured pause, drawn per answer so shed clients spread their retries."""
    base = max(1, int(_conf("SHED_RETRY_AFTER_SECONDS") or 1))
    return random.randint(base, 2 * base)


def shed_response(reason: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(
        {
            "detail": "The server is overloaded: retry after the Retry-After header's seconds.",
            "errors": {},
        },
        status=503,
    )
    response["Retry-After"] = str(retry_after_seconds())
    # Marks a shed answer (nothing ran): clients may repeat even a write (frontend/src/api/http.ts).
    response[SHED_HEADER] = "1"
    response._has_been_logged = True  # type: ignore[attr-defined]  # a shed is not a server error
    return response


def _log_shed(reason: dict[str, Any]) -> None:
    """One warning per ``LOG_EVERY_SECONDS`` with the count, not a line per shed request."""
    now = time.monotonic()
    with _shed_log_lock:
        _shed_log["count"] += 1
        if now - _shed_log["logged_at"] < LOG_EVERY_SECONDS:
            return
        count, _shed_log["count"], _shed_log["logged_at"] = _shed_log["count"], 0, now
    logger.warning(
        "overloaded: %d request(s) shed with 503 (%s %s > %s)",
        count,
        reason["measure"],
        reason["value"],
        reason["limit"],
        extra={"shed": count, **reason},
    )


class LoadSheddingMiddleware:
    """Answers 503 with ``Retry-After`` before any other work while the server is saturated."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path in EXEMPT_PATHS:
            return self.get_response(request)
        reason = overloaded(request)
        if reason is not None:
            _log_shed(reason)
            return shed_response(reason)
        started = time.perf_counter()
        response = self.get_response(request)
        service_observe((time.perf_counter() - started) * 1000)
        return response
