"""What each role may see of gold and benchmark accuracy holds on every channel: exports, manifests, downloads

ML engineers get 403 on gold and on scorecards, so they may not export gold answers (403 naming
``include_gold``), download an export a manager made with them (403), or read per-annotator benchmark
accuracy in an export's manifest (left out for them; managers see it).
"""

from __future__ import annotations

from typing import Any

import pytest

from annotation_qc.benchmarks.services.gold import gold_import
from tests.api.conftest import World
from tests.api.exchange_helpers import job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _start(world: World, capture: Any, role: str, **body: Any) -> Any:
    with capture(execute=True):
        return world.client(role).post(f"/api/v1/projects/{world.project.pk}/exports/", body, format="json")


def test_ml_engineers_cannot_export_gold(world: World, capture: Any) -> None:
    response = _start(world, capture, "ml_engineer", format="coco", include_gold=True)
    assert response.status_code == 403
    assert "include_gold" in response.json()["errors"]
    assert _start(world, capture, "ml_engineer", format="coco").status_code == 202


def test_gold_exports_and_benchmark_accuracy_stay_with_managers(world: World, capture: Any) -> None:
    gold_import(
        project=world.project,
        rows=[
            {
                "external_id": "g1",
                "image_url": "https://img.example/g1.png",
                "width": 50,
                "height": 50,
                "payload": {"boxes": [{"x": 1.0, "y": 1.0, "w": 10.0, "h": 10.0, "label": "car"}]},
            }
        ],
        user=world.users["manager"],
    )
    started = _start(world, capture, "manager", format="jsonl", include_gold=True)
    assert started.status_code == 202
    export_id = started.json()["export_id"]
    assert job(world, started.json()["job_id"])["status"] == "succeeded"

    manager = world.client("manager").get(f"/api/v1/exports/{export_id}/").json()
    assert "benchmarks" in manager["manifest"]
    engineer = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/")
    assert engineer.status_code == 200
    assert "benchmarks" not in engineer.json()["manifest"]
    assert "accuracy" not in str(engineer.json())

    assert world.client("manager").get(f"/api/v1/exports/{export_id}/download/").status_code == 200
    denied = world.client("ml_engineer").get(f"/api/v1/exports/{export_id}/download/")
    assert denied.status_code == 403
    assert "gold" in denied.json()["detail"]


#: Scorecard fields drawn from gold or from the skill model: what a manager reads of each annotator.
SCORECARD_SECRETS = {
    "skill",
    "skill_estimate",
    "skill_with_reviews",
    "peer",
    "peer_rows",
    "peer_score",
    "benchmarks_skipped",
    "by_error_kind",
    "by_label",
    "skipping",
    "trend",
    "flag",
    "estimate",
    "accuracy",
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_annotators_see_no_skill_or_gold_derived_number_anywhere(bench_world: World) -> None:
    """Two annotators with scored benchmarks and regular work, so each has a skill estimate; nothing an
    annotator can read (every GET the permission matrix lets them have, the task flow's own responses, their
    account) carries a scorecard field, the other annotator's name or the scorecards themselves."""
    from annotation_qc.labeling.models import Task
    from annotation_qc.workflow.submit_pipeline import after_submit
    from tests.api.test_role_matrix_generated import CASES
    from tests.factories import MembershipFactory, UserFactory

    world, project = bench_world, bench_world.project
    project.overlap_fraction = 1.0
    project.save()
    other = UserFactory(username="colleague")
    MembershipFactory(project=project, user=other, role="annotator")
    world.users["colleague"] = other
    seen: dict[str, Any] = {}
    for turn in range(10):
        for role in ("annotator", "colleague"):
            client = world.client(role)
            task = client.post(f"/api/v1/projects/{project.pk}/next-task/")
            assert task.status_code in (200, 201), task.content
            body = task.json()
            submitted = client.post(
                f"/api/v1/tasks/{body['id']}/submit/",
                {"payload": body["pre_annotation"] or {"boxes": []}},
                format="json",
            )
            assert submitted.status_code == 201, submitted.json()
            after_submit(task_id=Task.objects.get(public_id=body["id"]).pk)
            if role == "annotator":
                seen[f"next-task {turn}"], seen[f"submit {turn}"] = body, submitted.json()
    rows = {
        r["username"]: r
        for r in world.client("manager").get(f"/api/v1/projects/{project.pk}/annotators/").json()
    }
    for name in ("annotator", "colleague"):  # there is something to leak
        assert rows[name]["benchmarks"]["n"] == 5
        assert rows[name]["skill"]["estimate"] is not None
        assert rows[name]["skill"]["peer_rows"] == 5

    annotator = world.client("annotator")
    for prepare, name, method, url, _, expected in CASES:
        if method != "get" or expected["annotator"] != 200 or prepare is not None:
            continue
        response = annotator.get(url(world))
        assert response.status_code == 200, name
        seen[name] = response.json() if response["Content-Type"].startswith("application/json") else None
    seen["me"] = annotator.get("/api/v1/auth/me/").json()
    for name in ("my answers", "progress", "project detail"):  # the reads were made and answered
        assert seen[name], name
    for name, body in seen.items():
        assert not _keys(body) & SCORECARD_SECRETS, (name, _keys(body) & SCORECARD_SECRETS)
        assert "colleague" not in str(body), name

    for path in (
        "annotators/",
        "annotators/?format=csv",
        f"annotators/{other.pk}/benchmarks/",
        "charts/skill/",
    ):
        assert annotator.get(f"/api/v1/projects/{project.pk}/{path}").status_code == 403, path
    # Even with "show own score" on, an annotator reads only their own benchmark aggregate: no skill.
    project.show_own_score = True
    project.save()
    own = annotator.get(f"/api/v1/projects/{project.pk}/my-score/").json()
    assert set(own) == {"n", "correct", "accuracy", "low", "high"}
