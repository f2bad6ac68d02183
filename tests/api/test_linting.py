"""Response linters through the API: live lint and submit agree; errors reject; warnings are stored."""

from __future__ import annotations

import pytest

from annotation_qc.labeling.models import Annotation, Item
from annotation_qc.linting.models import LintFinding, LintProfile
from annotation_qc.linting.services import lint_profile_refresh
from tests.api.conftest import World
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

HUGE = {"x": 10, "y": 10, "w": 600, "h": 450, "label": "car"}  # ~88% of a 640x480 image
NORMAL = {"x": 100, "y": 100, "w": 60, "h": 40, "label": "person"}
TWIN = {"x": 101, "y": 100, "w": 60, "h": 40, "label": "person"}


def open_task(world: World) -> dict:
    return world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()


def lint(world: World, task_id: int, payload: dict, **extra) -> dict:
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task_id}/lint/", {"payload": payload, **extra}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_live_lint_reports_oversized_and_duplicates_and_stores_nothing(world: World) -> None:
    task = open_task(world)
    findings = lint(world, task["id"], {"boxes": [HUGE, NORMAL, TWIN]}, time_spent_ms=20_000)["findings"]
    codes = {(f["code"], tuple(f["boxes"])) for f in findings}
    assert ("oversized_box", (0,)) in codes
    assert ("duplicate_box", (1, 2)) in codes
    oversized = next(f for f in findings if f["code"] == "oversized_box")
    assert "Box 1" in oversized["message"]
    assert "88%" in oversized["message"]
    assert not LintFinding.objects.exists()
    assert not Annotation.objects.exists()


def test_submit_stores_the_same_warnings_as_live_lint(world: World) -> None:
    task = open_task(world)
    payload = {"boxes": [HUGE, NORMAL, TWIN]}
    live = lint(world, task["id"], payload, time_spent_ms=20_000)["findings"]
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/", {"payload": payload, "time_spent_ms": 20_000}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["findings"] == live
    stored = list(LintFinding.objects.order_by("code").values_list("code", "boxes"))
    assert stored == sorted((f["code"], f["boxes"]) for f in live)


def test_clean_annotation_has_no_findings(world: World) -> None:
    task = open_task(world)
    boxes = [{"x": 20 + 120 * i, "y": 40 + 90 * (i % 3), "w": 80, "h": 60, "label": "car"} for i in range(5)]
    assert lint(world, task["id"], {"boxes": boxes}, time_spent_ms=30_000)["findings"] == []


def test_error_severity_rejects_submission_with_findings(world: World) -> None:
    world.project.lint_config = {"oversized_box": {"severity": "error"}}
    world.project.save()
    task = open_task(world)
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/",
        {"payload": {"boxes": [HUGE]}, "time_spent_ms": 9000},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert [f["code"] for f in body["findings"] if f["severity"] == "error"] == ["oversized_box"]
    assert "covers" in body["detail"]
    assert not Annotation.objects.exists()
    assert not LintFinding.objects.exists()
    # Fixing it lets the submission through.
    fixed = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/",
        {"payload": {"boxes": [NORMAL]}, "time_spent_ms": 9000},
        format="json",
    )
    assert fixed.status_code == 201


def test_disabled_rule_does_not_fire(world: World) -> None:
    world.project.lint_config = {"oversized_box": {"enabled": False}}
    world.project.save()
    task = open_task(world)
    assert lint(world, task["id"], {"boxes": [HUGE]}, time_spent_ms=9000)["findings"] == []


def test_too_fast_for_classification(world: World) -> None:
    world.project.kind = "classification"
    world.project.save()
    task = open_task(world)
    findings = lint(world, task["id"], {"label": "car"}, time_spent_ms=100)["findings"]
    assert [f["code"] for f in findings] == ["too_fast"]


def test_malformed_draft_gets_the_submit_validation(world: World) -> None:
    task = open_task(world)
    bad = {"boxes": [{"x": 1, "y": 1, "w": -3, "h": 4, "label": "car"}]}
    live = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/lint/", {"payload": bad}, format="json"
    )
    submit = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/", {"payload": bad}, format="json"
    )
    assert live.status_code == submit.status_code == 400
    assert live.json() == submit.json()


def test_unknown_rule_in_settings_rejected(world: World) -> None:
    response = world.client("manager").patch(
        f"/api/v1/projects/{world.project.pk}/",
        {"settings": {"lint_config": {"box_too_pink": {"enabled": True}}}},
        format="json",
    )
    assert response.status_code == 400
    assert "box_too_pink" in response.json()["errors"]["settings.lint_config"][0]


def test_findings_list_filters_and_rates(world: World) -> None:
    for _ in range(2):
        task = open_task(world)
        world.client("annotator").post(
            f"/api/v1/tasks/{task['id']}/submit/",
            {"payload": {"boxes": [HUGE]}, "time_spent_ms": 9000},
            format="json",
        )
    client = world.client("manager")
    url = f"/api/v1/projects/{world.project.pk}/findings/"
    everything = client.get(url).json()
    assert everything["count"] == 2
    assert client.get(url, {"code": "duplicate_box"}).json()["count"] == 0
    mine = client.get(url, {"annotator": world.users["annotator"].pk}).json()
    assert mine["results"][0]["annotator"] == "annotator"
    assert client.get(url, {"annotator": "annotator"}).json()["count"] == 2
    assert client.get(url, {"annotator": "nobody"}).json()["count"] == 0
    assert client.get(url, {"annotator": "x" * 200}).status_code == 400
    rates = client.get(f"{url}rates/").json()
    assert rates == [
        {
            "user_id": world.users["annotator"].pk,
            "annotations": 2,
            "findings": 2,
            "lint_finding_rate": 1.0,
            "by_code": {"oversized_box": 1.0},
        }
    ]
    scorecard = client.get(f"/api/v1/projects/{world.project.pk}/annotators/").json()
    assert scorecard[0]["lint_finding_rate"] == 1.0


def test_learned_sizes_flag_a_box_far_above_its_label_norm(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    ItemFactory.create_batch(40, project=world.project)
    for _ in range(30):
        task = open_task(world)
        world.client("annotator").post(
            f"/api/v1/tasks/{task['id']}/submit/",
            {"payload": {"boxes": [NORMAL]}, "time_spent_ms": 9000},
            format="json",
        )
    profile = lint_profile_refresh(project_id=world.project.pk)
    assert profile.size_stats["person"]["count"] == 30
    assert LintProfile.objects.get(project=world.project).median_time_s is not None
    task = open_task(world)
    big_person = {"x": 10, "y": 10, "w": 400, "h": 300, "label": "person"}  # 39%: under the 80% rule
    findings = lint(world, task["id"], {"boxes": [big_person]}, time_spent_ms=9000)["findings"]
    assert [f["code"] for f in findings] == ["oversized_box"]
