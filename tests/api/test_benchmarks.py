"""Seeded-error benchmarks through the API: gold, injection, secrecy, scoring and scorecards."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from annotation_qc.benchmarks.models import AnnotatorStatusChange, BenchmarkTask, GoldAnnotation
from annotation_qc.labeling.models import Item, Task
from tests.api.benchmark_helpers import GOLD_BOXES, gold_rows, serve_and_submit
from tests.api.conftest import World, run_jobs
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_calibration_serves_benchmarks_among_first_tasks(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world)
    tasks = Task.objects.filter(annotator=bench_world.users["annotator"]).order_by("served_at")
    assert sum(t.kind == "benchmark" for t in tasks) == 5
    benchmark_items = [t.item_id for t in tasks if t.kind == "benchmark"]
    assert len(set(benchmark_items)) == len(benchmark_items)
    assert Item.objects.filter(pk__in=benchmark_items, is_gold=True).count() == 5


def test_error_kinds_are_balanced_per_annotator(bench_world: World) -> None:
    project = bench_world.project
    project.benchmark_rate = 1.0
    project.save()
    for _ in range(18):
        serve_and_submit(bench_world)
    kinds = list(BenchmarkTask.objects.values_list("error_kind", flat=True))
    assert len(kinds) == 18
    counts = {k: kinds.count(k) for k in set(kinds)}
    # Model predictions here hold no duplicate boxes, so a seeded duplicate would be a tell: never seeded,
    # and every benchmark says why.
    assert set(counts) == {"shift", "oversize", "drop", "relabel", "spurious"}
    # Balanced within MAX_KIND_LAG: a kind that would give the gold answer an unusual number of
    # boxes (this model always returns one, gold holds two) may be passed over, never by more.
    assert max(counts.values()) - min(counts.values()) <= 3
    for seeding in BenchmarkTask.objects.values_list("seeding", flat=True):
        assert "no duplicate boxes" in seeding["profile"]["excluded"]["duplicate"]


def test_gold_item_never_served_twice_to_one_annotator(bench_world: World) -> None:
    project = bench_world.project
    project.benchmark_rate = 1.0
    project.save()
    served = [serve_and_submit(bench_world)["item"]["id"] for _ in range(30)]
    assert len(set(served)) == 30
    # All gold is used up for this annotator: the next tasks are regular ones.
    next_task = serve_and_submit(bench_world)
    assert Task.objects.get(public_id=next_task["id"]).kind == "regular"


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_benchmark_and_regular_tasks_look_alike(bench_world: World) -> None:
    client = bench_world.client("annotator")
    responses: dict[str, list[dict[str, Any]]] = {"regular": [], "benchmark": []}
    for _ in range(10):
        response = client.post(f"/api/v1/projects/{bench_world.project.pk}/next-task/")
        body = response.json()
        kind = Task.objects.get(public_id=body["id"]).kind
        responses[kind].append({"body": body, "headers": dict(response.items())})
        client.post(f"/api/v1/tasks/{body['id']}/submit/", {"payload": body["pre_annotation"]}, format="json")
    regular, benchmark = responses["regular"][0], responses["benchmark"][0]
    assert _shape(regular["body"]) == _shape(benchmark["body"])
    assert set(regular["headers"]) == set(benchmark["headers"])
    for entry in responses["benchmark"] + responses["regular"]:
        body = entry["body"]
        assert re.fullmatch(r"/api/v1/images/[A-Za-z0-9_-]{22}/", body["item"]["image_url"])
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["id"])
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", body["item"]["id"])
    for entry in responses["benchmark"]:
        body = entry["body"]
        assert body["pre_annotation"] is not None
        # Coordinates carry the same precision as model predictions.
        for box in body["pre_annotation"]["boxes"]:
            assert all(round(box[k], 2) == box[k] for k in ("x", "y", "w", "h"))


FORBIDDEN_MARKERS = ("benchmark", "gold", "seeded", "error_kind", "fixed", "calibrat")


def test_no_annotator_visible_endpoint_reveals_benchmarks(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world)
    client = bench_world.client("annotator")
    project_id = bench_world.project.pk
    open_task = client.post(f"/api/v1/projects/{project_id}/next-task/").json()
    visible = {
        "me": client.get("/api/v1/auth/me/").json(),
        "projects": client.get("/api/v1/projects/").json(),
        "project": client.get(f"/api/v1/projects/{project_id}/").json(),
        "progress": client.get(f"/api/v1/projects/{project_id}/progress/").json(),
        "my-tasks": client.get(f"/api/v1/projects/{project_id}/my-tasks/?limit=500").json(),
        "next-task": open_task,
        "lint": client.post(
            f"/api/v1/tasks/{open_task['id']}/lint/", {"payload": open_task["pre_annotation"]}, format="json"
        ).json(),
    }
    text = json.dumps(visible).lower()
    for marker in FORBIDDEN_MARKERS:
        at = text.find(marker)
        assert at < 0, f"{marker!r} visible to annotators: ...{text[max(0, at - 150) : at + 50]}..."
    # The progress counts for the annotator don't reveal gold either.
    assert set(visible["progress"]) == {"mine"}
    # Manager-only endpoints stay closed.
    for url in (f"/api/v1/projects/{project_id}/annotators/", f"/api/v1/projects/{project_id}/gold/"):
        assert client.get(url).status_code == 403


def test_fixing_the_error_scores_fixed_rubber_stamping_does_not(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world, answer="gold")
    outcomes = list(BenchmarkTask.objects.values_list("fixed", flat=True))
    assert outcomes == [True] * 5

    spammer = UserFactory(username="spammer")
    MembershipFactory(project=bench_world.project, user=spammer, role="annotator")
    bench_world.users["spammer"] = spammer
    for _ in range(10):
        serve_and_submit(bench_world, role="spammer", answer="pre")
    assert (
        list(BenchmarkTask.objects.filter(annotator=spammer).values_list("fixed", flat=True)) == [False] * 5
    )


def test_spammer_flagged_and_stopped(bench_world: World) -> None:
    bench_world.project.flag_action = "stop"
    bench_world.project.benchmark_rate = 0.5
    bench_world.project.save()
    client = bench_world.client("annotator")
    url = f"/api/v1/projects/{bench_world.project.pk}/next-task/"
    served = 0
    while (response := client.post(url)).status_code == 200:
        task = response.json()
        with run_jobs():
            client.post(
                f"/api/v1/tasks/{task['id']}/submit/", {"payload": task["pre_annotation"]}, format="json"
            )
        served += 1
    # The sequential test flags six straight misses at the default threshold 0.6; serving stops there.
    failed = BenchmarkTask.objects.filter(fixed=False).count()
    assert failed == 6
    assert served <= 20
    change = AnnotatorStatusChange.objects.get(annotator=bench_world.users["annotator"], status="flagged")
    assert change.previous == "ok"  # calibration (5 benchmarks) ended one benchmark earlier
    assert change.reason == "overall"
    assert change.evidence["overall_log_lr"] >= change.evidence["overall_boundary"]
    assert change.accuracy_high < bench_world.project.flag_threshold
    assert response.status_code == 204


def test_scorecards_json_and_csv(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world, answer="gold")
    client = bench_world.client("manager")
    rows = client.get(f"/api/v1/projects/{bench_world.project.pk}/annotators/").json()
    row = next(r for r in rows if r["username"] == "annotator")
    assert row["tasks_done"] == 10
    assert row["benchmarks"]["n"] == 5
    assert row["benchmarks"]["accuracy"] == 1.0
    assert 0.5 < row["benchmarks"]["low"] < 1.0
    assert row["status"] == "ok"
    assert row["median_seconds"] is not None
    assert set(row["by_error_kind"]) >= {"shift", "drop", "relabel"}
    assert len(row["trend"]) == 5
    response = client.get(f"/api/v1/projects/{bench_world.project.pk}/annotators/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    csv_row = next(r for r in table if r["username"] == "annotator")
    assert csv_row["benchmarks"] == "5"
    assert float(csv_row["accuracy"]) == 1.0


def test_drill_down_has_gold_seeded_and_submitted(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world, answer="pre")
    user_id = bench_world.users["annotator"].pk
    rows = (
        bench_world.client("manager")
        .get(f"/api/v1/projects/{bench_world.project.pk}/annotators/{user_id}/benchmarks/")
        .json()
    )
    assert len(rows) == 5
    for row in rows:
        assert row["fixed"] is False
        assert row["gold"] == {"boxes": GOLD_BOXES}
        assert row["submitted"] == row["seeded"]
        assert row["detail"]["fixed"] is False


def test_no_gold_skips_benchmarks_and_says_so(world: World) -> None:
    world.project.calibration_benchmarks = 5
    world.project.save()
    serve_and_submit(world)
    assert not Task.objects.filter(kind="benchmark").exists()
    rows = world.client("manager").get(f"/api/v1/projects/{world.project.pk}/annotators/").json()
    assert "No gold" in rows[0]["note"]


def test_unassisted_benchmark_when_project_has_no_predictions(world: World) -> None:
    Item.objects.filter(project=world.project).delete()
    ItemFactory.create_batch(5, project=world.project)
    world.project.calibration_benchmarks = 5
    world.project.calibration_window = 5
    world.project.save()
    world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/gold/", {"items": gold_rows(5)}, format="json"
    )
    task = world.client("annotator").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    assert task["pre_annotation"] is None
    benchmark = BenchmarkTask.objects.get()
    assert benchmark.error_kind == "unassisted"


def test_bad_gold_is_rejected_whole(world: World) -> None:
    rows = gold_rows(3)
    rows[1]["payload"] = {"boxes": [{"x": 1, "y": 1, "w": 5, "h": 5, "label": "tree"}]}
    rows[2]["payload"] = {"boxes": [{"x": 600, "y": 1, "w": 500, "h": 5, "label": "car"}]}
    response = world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/gold/", {"items": rows}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "items[1].payload.boxes[0].label" in errors
    assert "items[2].payload.boxes[0].x" in errors
    assert not Item.objects.filter(is_gold=True).exists()


def test_promote_annotation_to_gold(world: World) -> None:
    task = serve_and_submit(world)
    annotation_id = Task.objects.get(public_id=task["id"]).annotation.pk
    url = f"/api/v1/projects/{world.project.pk}/gold/promote/"
    response = world.client("manager").post(url, {"annotation_id": annotation_id}, format="json")
    assert response.status_code == 201
    assert Item.objects.get(public_id=task["item"]["id"]).is_gold
    assert (
        world.client("manager").post(url, {"annotation_id": annotation_id}, format="json").status_code == 409
    )


def test_promoting_another_projects_annotation_is_404(world: World) -> None:
    other_world_user = UserFactory(username="elsewhere")
    other_item = ItemFactory()
    MembershipFactory(project=other_item.project, user=other_world_user, role="annotator")
    from annotation_qc.workflow.dispatch_pipeline import task_next
    from annotation_qc.workflow.submit_pipeline import annotation_submit

    other_task = task_next(project=other_item.project, annotator_id=other_world_user.pk)
    annotation, _ = annotation_submit(
        task_id=other_task.pk, annotator_id=other_world_user.pk, payload={"boxes": []}, client_time_ms=1
    )
    response = world.client("manager").post(
        f"/api/v1/projects/{world.project.pk}/gold/promote/", {"annotation_id": annotation.pk}, format="json"
    )
    assert response.status_code == 404
    assert not Item.objects.filter(is_gold=True).exists()


def test_own_score_only_where_allowed(bench_world: World) -> None:
    for _ in range(10):
        serve_and_submit(bench_world, answer="gold")
    url = f"/api/v1/projects/{bench_world.project.pk}/my-score/"
    assert bench_world.client("annotator").get(url).status_code == 403
    bench_world.project.show_own_score = True
    bench_world.project.save()
    body = bench_world.client("annotator").get(url).json()
    assert body["n"] == 5
    assert set(body) == {"n", "correct", "accuracy", "low", "high"}


def test_qualification_gold_is_never_hidden_among_work_and_hidden_gold_never_announced(
    bench_world: World,
) -> None:
    """An item an annotator was told is a qualification task must not come back hidden to anyone:
    colluding annotators would know it for gold (and the other way round)."""
    project = bench_world.project
    project.calibration_benchmarks = 2
    project.benchmark_rate = 0.5
    project.max_overlap = 3
    project.save()
    others = [UserFactory(username=f"colleague-{i}") for i in range(4)]
    for user in others:
        MembershipFactory(project=project, user=user, role="annotator")
    bench_world.users.update({user.username: user for user in others})
    # Everyone skips the qualification tasks: a gold item under way (its target above one) is served
    # to someone else, and must go to someone else's qualification only.
    for _ in range(8):
        for role in ["annotator", *(user.username for user in others)]:
            client = bench_world.client(role)
            with run_jobs():
                task = client.post(f"/api/v1/projects/{project.pk}/next-task/").json()
            with run_jobs():
                if task["phase"] == "qualification":
                    skip = {"reason": "unclear"}
                    done = client.post(f"/api/v1/tasks/{task['id']}/skip/", skip, format="json")
                else:
                    answer = {"payload": task["pre_annotation"] or {"boxes": []}}
                    done = client.post(f"/api/v1/tasks/{task['id']}/submit/", answer, format="json")
            assert done.status_code in (200, 201), done.json()
    served = BenchmarkTask.objects.filter(task__isnull=False).values_list("gold_id", "ordinal")
    announced = {gold for gold, ordinal in served if ordinal < 2}
    hidden = {gold for gold, ordinal in served if ordinal >= 2}
    assert len(announced) >= 3
    assert len(hidden) >= 3
    assert not announced & hidden
    flags = dict(GoldAnnotation.objects.filter(pk__in=announced | hidden).values_list("pk", "announced"))
    assert flags == {pk: pk in announced for pk in announced | hidden}
