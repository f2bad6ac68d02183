"""Per-user rate limits on the annotator loop and on job starts: 429 with Retry-After, per user, writes."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from annotation_qc.core.throttles import AnnotatorLoopThrottle, JobStartThrottle
from tests.api.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def low_rates(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "1000/min", "annotator_loop": "3/min", "job_start": "2/min"},
    }


def test_the_annotator_loop_is_limited_per_user(world: World, low_rates: None) -> None:
    client = world.client("annotator")
    url = f"/api/v1/projects/{world.project.pk}/next-task/"
    answers = [client.post(url).status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200]
    limited = client.post(url)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "throttled" in limited.json()["detail"].lower()
    # Reading is not limited; another annotator has their own budget.
    assert client.get(f"/api/v1/projects/{world.project.pk}/my-tasks/").status_code == 200
    from annotation_qc.projects.services import member_add
    from tests.factories import UserFactory

    other = UserFactory(username="other-annotator")
    member_add(project=world.project, user=other, role="annotator")
    world.users["other"] = other
    assert world.client("other").post(url).status_code == 200


def test_job_starts_are_limited_per_user(world: World, low_rates: None, capture: Any) -> None:
    url = f"/api/v1/projects/{world.project.pk}/exports/"
    engineer = world.client("ml_engineer")
    with capture(execute=True):
        first = [engineer.post(url, {"format": "jsonl"}, format="json").status_code for _ in range(2)]
        limited = engineer.post(url, {"format": "jsonl"}, format="json")
        by_manager = world.client("manager").post(url, {"format": "jsonl"}, format="json")
    assert first == [202, 202]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert by_manager.status_code == 202
    assert engineer.get(url).status_code == 200


class _BarrierCache:
    """The throttle's cache, with every read held until all the concurrent calls have read: the
    interleaving in which a read-then-write count lets every call through."""

    def __init__(self, inner: Any, parties: int) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(parties, timeout=30)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        value = self.inner.get(*args, **kwargs)
        self.barrier.wait()
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("throttle_class", [AnnotatorLoopThrottle, JobStartThrottle])
def test_concurrent_calls_of_one_user_pass_only_up_to_the_limit(
    low_rates: None, throttle_class: type[Any], monkeypatch: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    calls = 10
    monkeypatch.setattr(throttle_class, "cache", _BarrierCache(cache, calls))
    user = SimpleNamespace(is_authenticated=True, pk=424242)
    allowed: list[bool] = []
    waits: list[float | None] = []
    lock = threading.Lock()

    def call() -> None:
        throttle = throttle_class()
        ok = throttle.allow_request(SimpleNamespace(method="POST", user=user), None)
        with lock:
            allowed.append(ok)
            if not ok:
                waits.append(throttle.wait())

    threads = [threading.Thread(target=call) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    limit = 3 if throttle_class is AnnotatorLoopThrottle else 2
    assert allowed.count(True) == limit
    assert len(waits) == calls - limit
    assert all(w is not None and 1 <= w <= 60 for w in waits)


def test_the_window_slides_so_an_edge_burst_cannot_pass_twice_the_rate(
    low_rates: None, monkeypatch: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    clock = {"now": 6000.0 * 60 + 59}  # the last second of a minute
    monkeypatch.setattr(AnnotatorLoopThrottle, "timer", lambda self: clock["now"])
    user = SimpleNamespace(is_authenticated=True, pk=434343)

    def call() -> tuple[bool, float | None]:
        throttle = AnnotatorLoopThrottle()
        ok = throttle.allow_request(SimpleNamespace(method="POST", user=user), None)
        return ok, throttle.wait()

    assert [call()[0] for _ in range(4)] == [True, True, True, False]  # 3/min
    clock["now"] += 2  # a new minute has begun, but the last 60 s already hold 3 calls
    ok, wait = call()
    assert not ok
    assert wait is not None
    assert 1 <= wait <= 60
    clock["now"] += 29  # half of the previous minute still counts: 1.5 + 1 fits, 1.5 + 2 does not
    assert [call()[0] for _ in range(2)] == [True, False]
    # Reads are never counted.
    assert AnnotatorLoopThrottle().allow_request(SimpleNamespace(method="GET", user=user), None)
