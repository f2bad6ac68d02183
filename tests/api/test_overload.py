"""Load shedding: a saturated server answers 503 with Retry-After at once, before any database work."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from annotation_qc.core import overload
from tests.api.conftest import World

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    """A listening socket registered as the server's, and the clients queued on it (never accepted)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    queued: list[socket.socket] = []
    overload.listeners_set([server])
    try:
        yield server, queued
    finally:
        overload.listeners_set([])
        for client in queued:
            client.close()
        server.close()


def queue_clients(server: socket.socket, queued: list[socket.socket], n: int) -> None:
    for _ in range(n):
        queued.append(socket.create_connection(server.getsockname()))


@pytest.fixture
def shedding(settings: Any) -> Iterator[dict[str, Any]]:
    settings.ANNOTATION_QC = {
        **settings.ANNOTATION_QC,
        "SHED_BACKLOG": 4,
        "SHED_QUEUE_MS": 1000.0,
        "SHED_RETRY_AFTER_SECONDS": 2,
        "SHED_FINISH_FACTOR": 2.0,
        "SHED_TRUST_REQUEST_START": False,
    }
    conf: dict[str, Any] = settings.ANNOTATION_QC
    overload.service_reset(None)  # no service time known yet: only the cap and measured waits count
    yield conf
    overload.service_reset(None)


def next_task_url(world: World) -> str:
    return f"/api/v1/projects/{world.project.pk}/next-task/"


def assert_shed(response: Any) -> None:
    assert response.status_code == 503
    assert 2 <= int(response["Retry-After"]) <= 4  # 1-2x the configured 2 s
    assert response["X-Request-ID"]
    assert response[overload.SHED_HEADER] == "1"  # the front end repeats even a write on this mark
    assert "overloaded" in response.json()["detail"]


def test_the_accept_queue_is_read_from_the_kernel(listener: Any) -> None:
    server, queued = listener
    assert overload.accept_backlog() == 0
    queue_clients(server, queued, 6)
    assert overload.accept_backlog() == 6
    server.accept()[0].close()
    assert overload.accept_backlog() == 5


def test_a_long_accept_queue_sheds_before_any_statement(
    world: World, listener: Any, shedding: dict[str, Any], django_assert_num_queries: Any
) -> None:
    server, queued = listener
    client = world.client("annotator")
    queue_clients(server, queued, 5)  # one more than SHED_BACKLOG
    with django_assert_num_queries(0):
        assert_shed(client.post(next_task_url(world)))
        assert_shed(client.get(f"/api/v1/projects/{world.project.pk}/my-tasks/"))
    assert client.get("/healthz").status_code == 200
    # At the limit, the request is served.
    server.accept()[0].close()
    assert client.post(next_task_url(world)).status_code == 200


def test_healthz_is_never_shed(world: World, listener: Any, shedding: dict[str, Any]) -> None:
    server, queued = listener
    queue_clients(server, queued, 10)
    response = world.client("anonymous").get("/healthz")
    assert response.status_code == 200


def test_the_wait_is_estimated_from_the_queue_and_the_service_time(
    world: World, listener: Any, shedding: dict[str, Any]
) -> None:
    server, queued = listener
    shedding["SHED_BACKLOG"] = 0  # the estimate alone
    overload.listeners_set([server], concurrency=2)
    queue_clients(server, queued, 3)
    client = world.client("annotator")
    overload.service_reset(800.0)  # 3 waiting x 800 ms / 2 at once = 1.2 s > 1 s
    assert_shed(client.post(next_task_url(world)))
    overload.service_reset(600.0)  # 0.9 s: served
    assert client.post(next_task_url(world)).status_code == 200
    # The served request was timed into the mean.
    assert overload.service_mean_ms() != 600.0


def test_answers_to_held_tasks_are_shed_last(
    world: World, listener: Any, shedding: dict[str, Any], capture: Any
) -> None:
    client = world.client("annotator")
    task = client.post(next_task_url(world)).json()
    server, queued = listener
    queue_clients(server, queued, 6)  # over SHED_BACKLOG (4), under 2x
    assert_shed(client.post(next_task_url(world)))
    assert_shed(client.get(f"/api/v1/projects/{world.project.pk}/my-tasks/"))
    with capture(execute=True):
        submitted = client.post(
            f"/api/v1/tasks/{task['id']}/submit/",
            {"payload": {"boxes": [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}]}},
            format="json",
        )
    assert submitted.status_code == 201, submitted.json()
    queue_clients(server, queued, 3)  # 9 > 2 x 4: now answers are shed too
    assert_shed(client.post(f"/api/v1/tasks/{task['id']}/skip/", {}, format="json"))


def test_requests_queued_in_the_process_count_for_its_threads(world: World, shedding: dict[str, Any]) -> None:
    shedding["SHED_BACKLOG"] = 0
    client = world.client("annotator")
    overload.listeners_set([], concurrency=8, threads=4)
    overload.service_reset(500.0)
    try:
        overload.waiting_add(9)  # 9 x 500 ms / 4 threads = 1.125 s > 1 s
        assert_shed(client.post(next_task_url(world)))
        overload.waiting_add(-1)  # 1 s: served
        assert client.post(next_task_url(world)).status_code == 200
        shedding["SHED_BACKLOG"] = 6  # the cap counts them too
        assert_shed(client.post(next_task_url(world)))
    finally:
        overload.waiting_add(-100)
        overload.listeners_set([])


def test_served_requests_are_timed(world: World, shedding: dict[str, Any]) -> None:
    assert overload.service_mean_ms() is None
    assert world.client("annotator").post(next_task_url(world)).status_code == 200
    first = overload.service_mean_ms()
    assert first is not None
    assert first > 0
    world.client("annotator").get("/healthz")  # exempt from shedding, and not timed
    assert overload.service_mean_ms() == first


def test_a_measure_at_zero_is_off(world: World, listener: Any, shedding: dict[str, Any]) -> None:
    server, queued = listener
    queue_clients(server, queued, 10)
    shedding["SHED_BACKLOG"] = 0
    shedding["SHED_QUEUE_MS"] = 0
    overload.service_reset(10_000.0)
    assert world.client("annotator").post(next_task_url(world)).status_code == 200


def test_a_request_queued_too_long_is_shed(
    world: World, shedding: dict[str, Any], django_assert_num_queries: Any
) -> None:
    client = world.client("annotator")
    overload.queued_at_set(time.time() - 5)  # queued 5 s ago; the limit is 1 s
    try:
        with django_assert_num_queries(0):
            assert_shed(client.post(next_task_url(world)))
        overload.queued_at_set(time.time())  # just queued
        assert client.post(next_task_url(world)).status_code == 200
    finally:
        overload.queued_at_set(None)


def test_a_proxy_stamp_counts_only_when_trusted(world: World, shedding: dict[str, Any]) -> None:
    client = world.client("annotator")
    stamp = {"HTTP_X_REQUEST_START": f"t={time.time() - 5:.3f}"}
    assert client.post(next_task_url(world), **stamp).status_code == 200  # a client could send anything
    shedding["SHED_TRUST_REQUEST_START"] = True
    assert_shed(client.post(next_task_url(world), **stamp))
    fresh = {"HTTP_X_REQUEST_START": f"t={int(time.time() * 1000)}"}  # milliseconds, just now
    assert client.post(next_task_url(world), **fresh).status_code == 200


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("t=1700000000.250", 1700000000.25),
        ("t=1700000000250", 1700000000.25),
        ("t=1700000000250000", 1700000000.25),
        ("1700000000", 1700000000.0),
        ("t=abc", None),
        ("t=-5", None),
        ("t=nan", None),
        ("t=inf", None),
    ],
)
def test_request_start_units(header: str, expected: float | None) -> None:
    parsed = overload.parse_request_start(header)
    if expected is None:
        assert parsed is None
    else:
        assert parsed == pytest.approx(expected)


def test_a_unix_socket_gives_no_backlog(tmp_path: Any) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "s"))
    server.listen(4)
    try:
        overload.listeners_set([server])
        assert overload.accept_backlog() is None
    finally:
        overload.listeners_set([])
        server.close()


def test_every_operation_documents_503(world: World) -> None:
    schema = world.client("manager").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [op for path in schema["paths"].values() for op in path.values() if "responses" in op]
    assert len(operations) > 50
    assert all("503" in op["responses"] for op in operations)
    next_task = schema["paths"]["/api/v1/projects/{project_id}/next-task/"]["post"]["responses"]["503"]
    assert "Retry-After" in next_task["description"]
