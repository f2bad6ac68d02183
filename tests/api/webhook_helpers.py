"""Webhook test helpers: a local receiver with scripted answers, adding a webhook, firing an alert.

The ``receiver`` fixture reaches every API test through ``tests/api/conftest.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from annotation_qc.labeling.models import Item
from tests.api.local_http import QuietHandler, serving

if TYPE_CHECKING:  # conftest imports this module for its fixture
    from tests.api.conftest import World


@dataclass
class Receiver:
    """A local HTTP server answering POSTs with scripted status codes and delays (the last ones repeat)."""

    statuses: list[int]
    delays: list[float] = field(default_factory=lambda: [0.0])
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, float]:
        n = len(self.requests) - 1
        return self.statuses[min(n, len(self.statuses) - 1)], self.delays[min(n, len(self.delays) - 1)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(statuses=[200])

    class Handler(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(
                {"headers": self.headers, "body": body, "path": self.path}
            )  # case-insensitive
            status, delay = state.answer()
            time.sleep(delay)
            payload = b"ok" if status < 300 else b"boom"
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test)

    with serving(Handler) as base:
        state.url = f"{base}/hook"
        yield state


def url(world: World, path: str) -> str:
    return f"/api/v1/projects/{world.project.pk}/{path}"


def add_webhook(world: World, **body: Any) -> dict:
    response = world.client("manager").post(url(world, "webhooks/"), body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def fire_alert(world: World, django_capture_on_commit_callbacks: Any) -> int:
    """Plant a dry queue and check: one alert, delivered (eagerly) once the check commits."""
    world.client("manager").post(url(world, "alert-rules/"), {"kind": "queue_dry"}, format="json")
    Item.objects.filter(project=world.project).update(open_slots=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("manager").post(url(world, "alerts/check/"))
    (alert_id,) = response.json()["fired"]
    return alert_id
