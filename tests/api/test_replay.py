"""Dispatch replays from the project's secrets: which tasks were benchmarks and what was seeded."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.benchmarks.services.gold import gold_import
from annotation_qc.domain.keyed_random import keyed_generator, keyed_uniform
from annotation_qc.labeling.models import Task
from annotation_qc.workflow.dispatch_pipeline import task_next
from annotation_qc.workflow.models import DispatchSecret
from annotation_qc.workflow.replay import dispatch_replay
from annotation_qc.workflow.secrets import dispatch_secret_rotate
from annotation_qc.workflow.submit_pipeline import annotation_submit
from tests.api.conftest import World, run_jobs
from tests.factories import ItemFactory, MembershipFactory, PredictionFactory, UserFactory

pytestmark = pytest.mark.django_db

GOLD = {
    "boxes": [
        {"x": 40, "y": 40, "w": 120, "h": 100, "label": "car"},
        {"x": 300, "y": 200, "w": 80, "h": 150, "label": "person"},
    ]
}


@pytest.fixture
def keyed(world: World) -> World:
    project = world.project
    project.benchmark_rate = 0.3
    project.calibration_benchmarks = 2
    project.save()
    for item in ItemFactory.create_batch(60, project=project):
        PredictionFactory(item=item)
    rows = [
        {
            "external_id": f"g{i}",
            "image_url": f"https://img.example/g{i}.png",
            "width": 640,
            "height": 480,
            "payload": GOLD,
        }
        for i in range(40)
    ]
    gold_import(project=project, rows=rows, user=world.users["manager"])
    dispatch_secret_rotate(project=project, key=b"a fixed secret for a reproducible run")
    second = UserFactory(username="second")
    MembershipFactory(project=project, user=second, role="annotator")
    world.users["second"] = second
    return world


def _work(world: World, role: str, tasks: int) -> list[tuple[int, str]]:
    served = []
    user = world.users[role]
    for _ in range(tasks):
        with run_jobs():
            task = task_next(project=world.project, annotator_id=user.pk)
        assert task is not None
        with run_jobs():
            annotation_submit(task_id=task.public_id, annotator_id=user.pk, payload=GOLD, client_time_ms=2000)
        served.append((task.ordinal, task.kind))
    return served


def test_keyed_generator_is_deterministic_and_keyed() -> None:
    a = keyed_generator(b"k1", 5, 7, "seed").random(4)
    assert (a == keyed_generator(b"k1", 5, 7, "seed").random(4)).all()
    assert not (a == keyed_generator(b"k2", 5, 7, "seed").random(4)).any()
    assert not (a == keyed_generator(b"k1", 5, 8, "seed").random(4)).any()
    assert keyed_uniform(b"k1", 5, 7) != keyed_uniform(b"k1", 6, 7)
    with pytest.raises(ValueError, match="purpose"):
        keyed_generator(b"k1", 1, 1, "nonsense")


def test_replay_says_which_tasks_were_benchmarks_and_what_was_seeded(keyed: World) -> None:
    served = _work(keyed, "annotator", 20) + _work(keyed, "second", 12)
    assert sum(kind == "benchmark" for _, kind in served) >= 4
    rows = dispatch_replay(project=keyed.project)
    assert len(rows) == 32
    assert all(row.consistent for row in rows), [r.to_dict() for r in rows if not r.consistent]
    assert [r.served for r in rows if r.annotator_id == keyed.users["annotator"].pk] == [
        k for _, k in served[:20]
    ]
    assert all(r.seeded_matches for r in rows if r.served == "benchmark")
    # The first two tasks are the announced qualification: benchmarks.
    assert [r.served for r in rows if r.ordinal < 2] == ["benchmark"] * 4

    out = io.StringIO()
    call_command(
        "benchmark_replay", "--project", str(keyed.project.pk), "--annotator", "second", "--json", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert len([json.loads(line) for line in lines[:-1]]) == 12
    assert lines[-1].endswith("0 inconsistent")


def test_a_fixed_secret_makes_dispatch_reproducible_run_to_run(keyed: World) -> None:
    first = [kind for _, kind in _work(keyed, "annotator", 15)]
    # A second run: the same project state, the same secret, the same annotator.
    Task.objects.all().delete()
    BenchmarkTask.objects.all().delete()
    from annotation_qc.benchmarks.models import GoldAnnotation
    from annotation_qc.workflow.models import DispatchPlan

    GoldAnnotation.objects.update(exposure=0, exposure_target=None, retired_at=None)
    DispatchPlan.objects.all().delete()
    second = [kind for _, kind in _work(keyed, "annotator", 15)]
    assert first == second


def test_tampered_seeding_is_reported(keyed: World) -> None:
    _work(keyed, "annotator", 10)
    tampered = BenchmarkTask.objects.filter(task__isnull=False).first()
    tampered.seeded_payload = {"boxes": []}
    tampered.save()
    rows = dispatch_replay(project=keyed.project, annotator_id=keyed.users["annotator"].pk)
    assert [r.seeded_matches for r in rows].count(False) == 1
    with pytest.raises(CommandError, match="1 inconsistent"):
        call_command("benchmark_replay", "--project", str(keyed.project.pk), stdout=io.StringIO())


def test_rotated_secret_keeps_old_tasks_replayable(keyed: World) -> None:
    _work(keyed, "annotator", 8)
    version = dispatch_secret_rotate(project=keyed.project)
    assert version == DispatchSecret.objects.filter(project=keyed.project).count()
    _work(keyed, "annotator", 8)
    versions = list(Task.objects.order_by("ordinal").values_list("secret_version", flat=True))
    # The task prepared before the rotation keeps the old version; those after it use the new one.
    assert versions[0] == version - 1
    assert versions[-1] == version
    rows = dispatch_replay(project=keyed.project)
    assert all(row.consistent for row in rows)
    assert {row.secret_version for row in rows} == {version - 1, version}


def test_the_secret_never_reaches_a_client(keyed: World) -> None:
    _work(keyed, "annotator", 3)
    key = DispatchSecret.objects.get(project=keyed.project, version=1).key
    client = keyed.client("annotator")
    bodies = [
        client.post(f"/api/v1/projects/{keyed.project.pk}/next-task/").content,
        client.get(f"/api/v1/projects/{keyed.project.pk}/").content,
        client.get(f"/api/v1/projects/{keyed.project.pk}/my-tasks/").content,
        keyed.client("manager").get(f"/api/v1/projects/{keyed.project.pk}/").content,
    ]
    for body in bodies:
        assert bytes(key) not in body
        assert bytes(key).hex().encode() not in body


def test_replay_command_bad_input(keyed: World) -> None:
    with pytest.raises(CommandError, match="No project"):
        call_command("benchmark_replay", "--project", "999999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command(
            "benchmark_replay",
            "--project",
            str(keyed.project.pk),
            "--annotator",
            "nobody",
            stdout=io.StringIO(),
        )


def test_changing_the_rate_and_qualification_mid_project_keeps_old_tasks_replayable(keyed: World) -> None:
    """The schedule used is stored with the secret version: a change adds a version (same key)."""
    _work(keyed, "annotator", 10)
    keyed.project.benchmark_rate = 0.1
    keyed.project.calibration_benchmarks = 5
    keyed.project.save()
    _work(keyed, "annotator", 10)
    _work(keyed, "second", 8)
    rows = dispatch_replay(project=keyed.project)
    assert len({row.secret_version for row in rows}) == 2
    assert all(row.consistent for row in rows), [r.to_dict() for r in rows if not r.consistent]
    assert sum(row.served == "benchmark" for row in rows) >= 4
    versions = DispatchSecret.objects.filter(project=keyed.project).order_by("version")
    assert [(v.benchmark_rate, v.qualification) for v in versions] == [(0.3, 2), (0.1, 5)]
    assert len({bytes(v.key) for v in versions}) == 1
