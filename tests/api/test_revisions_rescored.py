"""A changed answer goes through what a first submit does: linted (errors refuse it, warnings replace
the old ones), then in a worker a benchmark is scored again and the consensus follows. The request runs
the same statements and answers the same fields for a benchmark and for work."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation_qc.benchmarks.models import AnnotatorQuality, BenchmarkTask
from annotation_qc.drafts.models import AnnotationRevision
from annotation_qc.labeling.models import Annotation, Task
from annotation_qc.linting.models import LintFinding
from annotation_qc.workflow.submit_pipeline import after_revise
from tests.api.benchmark_helpers import GOLD_BOXES, serve_and_submit
from tests.api.conftest import World

pytestmark = pytest.mark.django_db


def _revise(world: World, task_id: str, payload: dict[str, Any], ms: int = 2000) -> Any:
    return world.client("annotator").put(
        f"/api/v1/tasks/{task_id}/answer/", {"payload": payload, "time_spent_ms": ms}, format="json"
    )


def _one_of_each(world: World) -> dict[str, dict[str, Any]]:
    """Serve and submit (keeping the pre-annotation) until a benchmark and a work task were answered."""
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(12):
        task = serve_and_submit(world)
        seen.setdefault(Task.objects.get(public_id=task["id"]).kind, task)
        if len(seen) == 2:
            return seen
    raise AssertionError(f"only {sorted(seen)} served")


def test_a_revision_is_linted_like_a_submit(bench_world: World) -> None:
    bench_world.project.lint_config = {"oversized_box": {"severity": "error"}}
    bench_world.project.save()
    task = serve_and_submit(bench_world)
    annotation = Annotation.objects.get(task__public_id=task["id"])
    before = annotation.payload
    huge = {"x": 0.0, "y": 0.0, "w": 640.0, "h": 480.0, "label": "car"}
    refused = _revise(bench_world, task["id"], {"boxes": [huge]})
    assert refused.status_code == 400
    assert [f["code"] for f in refused.json()["findings"] if f["severity"] == "error"] == ["oversized_box"]
    annotation.refresh_from_db()
    assert annotation.payload == before
    assert not AnnotationRevision.objects.exists()

    # A warning is stored for the new version and the old version's findings go.
    bench_world.project.lint_config = {"oversized_box": {"severity": "warning"}}
    bench_world.project.save()
    LintFinding.objects.create(
        annotation=annotation,
        project=bench_world.project,
        annotator=annotation.annotator,
        item=annotation.item,
        code="duplicate_box",
        severity="warning",
        message="from the first version",
        boxes=[0],
        created_at=annotation.submitted_at,
    )
    changed = _revise(bench_world, task["id"], {"boxes": [huge]})
    assert changed.status_code == 200, changed.json()
    assert [f["code"] for f in changed.json()["findings"]] == ["oversized_box"]
    assert list(LintFinding.objects.filter(annotation=annotation).values_list("code", flat=True)) == [
        "oversized_box"
    ]
    assert changed.json()["versions"] == 2


def test_a_changed_benchmark_is_scored_again_in_its_place(bench_world: World, capture: Any) -> None:
    tasks = _one_of_each(bench_world)
    benchmark = BenchmarkTask.objects.get(task__public_id=tasks["benchmark"]["id"])
    assert benchmark.fixed is False  # the seeded mistake was kept
    scored_at = benchmark.scored_at
    annotator = bench_world.users["annotator"]
    misses = AnnotatorQuality.objects.get(project=bench_world.project, annotator=annotator)
    assert misses.fixed == 0

    with capture(execute=True) as jobs:
        response = _revise(bench_world, tasks["benchmark"]["id"], {"boxes": GOLD_BOXES})
    assert response.status_code == 200, response.json()
    assert len(jobs) == 1
    benchmark.refresh_from_db()
    assert benchmark.fixed is True
    assert benchmark.scored_at == scored_at
    quality = AnnotatorQuality.objects.get(project=bench_world.project, annotator=annotator)
    assert (quality.fixed, quality.benchmarks) == (1, misses.benchmarks)

    # Back to the mistake: scored as a miss again (the job is idempotent for an unchanged answer).
    _revise(bench_world, tasks["benchmark"]["id"], tasks["benchmark"]["pre_annotation"])
    for _ in range(2):
        after_revise(task_id=benchmark.task_id)
    benchmark.refresh_from_db()
    assert benchmark.fixed is False


def test_revising_a_benchmark_and_work_looks_the_same(bench_world: World, capture: Any) -> None:
    tasks = _one_of_each(bench_world)
    statements: dict[str, int] = {}
    bodies: dict[str, dict[str, Any]] = {}
    sent: dict[str, list[int]] = {}
    for kind, task in tasks.items():
        payload = {"boxes": GOLD_BOXES[:1]}
        with capture() as callbacks, CaptureQueriesContext(connection) as queries:
            response = _revise(bench_world, task["id"], payload)
        assert response.status_code == 200, response.json()
        statements[kind] = len(queries)
        bodies[kind] = response.json()
        sent[kind] = [len(callbacks)]
    assert statements["benchmark"] == statements["regular"]
    assert bodies["benchmark"].keys() == bodies["regular"].keys()
    assert {k: v for k, v in bodies["benchmark"].items() if k != "task_id"} == {
        k: v for k, v in bodies["regular"].items() if k != "task_id"
    }
    assert sent["benchmark"] == sent["regular"] == [1]
