"""The HTTP transport: one session, timeouts, retries with back-off, and errors turned into exceptions."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from aqc_client.errors import ConnectionFailed, error_for

#: Statuses after which a request is tried again (with back-off, honouring ``Retry-After``).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Statuses after which a POST is tried again: the server says it did not act on the request.
RETRY_STATUSES_POST = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class Transport:
    """Sends requests to ``base_url`` (the server root, e.g. ``http://127.0.0.1:8000``).

    Idempotent requests are retried after connection errors, timeouts, 429 and 5xx; a POST only when the
    server cannot have acted on it (the connection was refused, 429, 503), so an import is never sent twice.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "annotation-qc-client",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        self._sleep = sleep
        self.token = token

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        if value:
            self.session.headers["Authorization"] = f"Token {value}"
        else:
            self.session.headers.pop("Authorization", None)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None:
            retry_after = response.headers.get("Retry-After")
            if retry_after:
                try:
                    return min(self.backoff_max, max(0.0, float(retry_after)))
                except ValueError:
                    try:
                        moment = parsedate_to_datetime(retry_after).timestamp()
                        return min(self.backoff_max, max(0.0, moment - time.time()))
                    except (TypeError, ValueError):
                        pass
        # Full jitter: spreads retrying clients apart instead of synchronising them.
        return random.uniform(0, min(self.backoff_max, self.backoff * 2**attempt))

    def request(self, method: str, path: str, *, stream: bool = False, **kwargs: Any) -> requests.Response:
        """Send, retrying where safe; an error answer raises the matching ``APIError``."""
        method = method.upper()
        kwargs.setdefault("timeout", self.timeout)
        retry_statuses = RETRY_STATUSES if method in IDEMPOTENT else RETRY_STATUSES_POST
        url = self.url(path)
        attempt = 0
        while True:
            try:
                response = self.session.request(method, url, stream=stream, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                refused = _never_sent(exc)
                if attempt < self.retries and (method in IDEMPOTENT or refused):
                    self._sleep(self._delay(attempt, None))
                    attempt += 1
                    continue
                raise ConnectionFailed(f"{method} {url}: {exc}") from exc
            if response.status_code in retry_statuses and attempt < self.retries:
                delay = self._delay(attempt, response)
                response.close()
                self._sleep(delay)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise error_for(response.status_code, _decoded(response))
            return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every result of a paginated list, following ``next`` links (page or cursor pagination)."""
        body = self.json("GET", path, params=params)
        while True:
            if isinstance(body, list):  # an unpaginated list
                yield from body
                return
            yield from body.get("results", [])
            next_link = body.get("next")
            if next_link:
                body = self.json("GET", next_link)
                continue
            cursor = body.get("next_cursor")
            if not cursor:
                return
            body = self.json("GET", path, params={**(params or {}), "cursor": cursor})


def _never_sent(exc: Exception) -> bool:
    """Whether the request certainly never reached the server (refused or timed out while connecting)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            pending.append(reason)
        if current.__cause__ is not None:
            pending.append(current.__cause__)
    return False


def _decoded(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text
