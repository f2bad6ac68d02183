"""Per-user rate limits on the annotator loop and on job starts: 429 with Retry-After, per user, writes."""

from __future__ import annotations

from typing import Any

import pytest

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
