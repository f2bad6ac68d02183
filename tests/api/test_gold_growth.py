"""The gold pool grows from confirmed items (review, strong consensus) up to the project's target."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import BenchmarkTask, GoldAnnotation
from annotation_qc.labeling.models import Annotation, Item, Task
from annotation_qc.review.models import Review
from annotation_qc.workflow.gold_growth import gold_pool_grow, gold_pools_grow
from tests.api.benchmark_helpers import GOLD_BOXES
from tests.api.conftest import World, run_jobs
from tests.factories import ItemFactory, MembershipFactory, PredictionFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

ANSWER = {"boxes": GOLD_BOXES}


def _answered(item: Item, annotators: list[Any], payload: dict[str, Any] = ANSWER) -> list[Annotation]:
    out = []
    for user in annotators:
        task = TaskFactory(item=item, annotator=user, status=Task.Status.SUBMITTED)
        out.append(
            Annotation.objects.create(
                task=task,
                project=item.project,
                item=item,
                annotator=user,
                payload=payload,
                server_time_ms=5,
                submitted_at=timezone.now(),
            )
        )
    return out


def _consensus(item: Item, n: int, posterior: float | None, method: str = "fused_boxes") -> None:
    Consensus.objects.create(
        project=item.project,
        item=item,
        payload=ANSWER,
        posterior=posterior,
        method=method,
        n_annotations=n,
        computed_at=timezone.now(),
    )


def _review(annotation: Annotation, status: str, reason: str = "sampled") -> Review:
    now = timezone.now()
    return Review.objects.create(
        project=annotation.project,
        item=annotation.item,
        annotation=annotation,
        annotator=annotation.annotator,
        status=status,
        reason=reason,
        entered_at=now,
        pending_since=now,
    )


@pytest.fixture
def crowd(world: World) -> list[Any]:
    users = [UserFactory(username=f"crowd-{i}") for i in range(4)]
    for user in users:
        MembershipFactory(project=world.project, user=user, role="annotator")
    return users


def test_confirmed_items_are_promoted_up_to_the_target(world: World, crowd: list[Any]) -> None:
    project = world.project
    project.max_overlap = 5
    project.gold_pool_target = 3
    project.save()
    strong, weak, few, manual, reviewed, fixed, open_review, bench_review, twice = ItemFactory.create_batch(
        9, project=project
    )
    _answered(strong, crowd[:3])
    _consensus(strong, 3, 0.99)
    _answered(weak, crowd[:3])
    _consensus(weak, 3, 0.80)  # agreement too weak
    _answered(few, crowd[:2])
    _consensus(few, 2, 0.99)  # too few annotators
    _answered(manual, crowd[:2])
    _consensus(manual, 2, None, method="manual")  # a manager settled it
    _review(_answered(reviewed, crowd[:1])[0], "accepted")
    _review(_answered(fixed, crowd[1:2])[0], "fixed")
    _review(_answered(open_review, crowd[:1])[0], "pending")  # not settled yet
    _review(_answered(bench_review, crowd[:1])[0], "accepted", reason="benchmark")
    first, _second = _answered(twice, crowd[:2])
    _review(first, "accepted")  # accepted, but another annotator labelled it too, with no consensus

    assert gold_pool_grow(project=project) == 3
    promoted = set(GoldAnnotation.objects.filter(source="confirmed").values_list("item_id", flat=True))
    eligible = {strong.pk, manual.pk, reviewed.pk, fixed.pk}
    assert promoted < eligible
    # The least seen first: the items labelled once, then the strong consensus among three.
    assert {reviewed.pk, fixed.pk} <= promoted
    for gold in GoldAnnotation.objects.filter(item_id__in=promoted):
        assert gold.payload == ANSWER
        assert gold.exposure == Task.objects.filter(item=gold.item).values("annotator").distinct().count()
    assert set(Item.objects.filter(pk__in=promoted).values_list("is_gold", "open_slots")) == {(True, 0)}
    # At the target: nothing more; and again (idempotent).
    assert gold_pool_grow(project=project) == 0
    # A retired gold item is replaced by the next confirmed one.
    GoldAnnotation.objects.filter(item_id=next(iter(promoted))).update(retired_at=timezone.now())
    assert gold_pools_grow() == 1
    assert set(GoldAnnotation.objects.values_list("item_id", flat=True)) == eligible


def test_growth_is_off_by_default(world: World, crowd: list[Any]) -> None:
    item = ItemFactory(project=world.project)
    _review(_answered(item, crowd[:1])[0], "accepted")
    assert world.project.gold_pool_target == 0
    assert gold_pools_grow() == 0
    assert not GoldAnnotation.objects.exists()


def _promoted_from_work(world: World, *, required: int) -> Task:
    """One work item labelled and accepted in review, then promoted: work items require ``required``."""
    project = world.project
    project.benchmark_rate = 1.0
    project.calibration_benchmarks = 0
    project.gold_pool_target = 1
    project.save()
    Item.objects.filter(project=project).update(required_annotations=required, open_slots=required)
    for item in ItemFactory.create_batch(
        3, project=project, required_annotations=required, open_slots=required
    ):
        PredictionFactory(item=item)
    client = world.client("annotator")
    with run_jobs():
        task = client.post(f"/api/v1/projects/{project.pk}/next-task/").json()
    with run_jobs():
        done = client.post(f"/api/v1/tasks/{task['id']}/submit/", {"payload": ANSWER}, format="json")
    assert done.status_code == 201
    labelled = Task.objects.get(public_id=task["id"])
    _review(Annotation.objects.get(task=labelled), "accepted")
    assert gold_pool_grow(project=project) == 1
    assert GoldAnnotation.objects.get().item_id == labelled.item_id
    return labelled


def test_a_promoted_item_is_a_benchmark_for_others_never_for_its_annotators(world: World) -> None:
    # Work items reach two annotators here, so an item seen by one may reach one more as gold.
    labelled = _promoted_from_work(world, required=2)
    project, client = world.project, world.client("annotator")
    newcomer = UserFactory(username="newcomer")
    MembershipFactory(project=project, user=newcomer, role="annotator")
    world.users["newcomer"] = newcomer
    with run_jobs():
        client.post(f"/api/v1/projects/{project.pk}/next-task/")
    with run_jobs():
        served = world.client("newcomer").post(f"/api/v1/projects/{project.pk}/next-task/").json()
    benchmark = BenchmarkTask.objects.get(task__public_id=served["id"])
    assert benchmark.gold.item_id == labelled.item_id
    assert not BenchmarkTask.objects.filter(annotator=world.users["annotator"], gold=benchmark.gold).exists()
    gold = GoldAnnotation.objects.get()
    assert (gold.exposure, gold.exposure_target) == (2, 2)
    assert gold.retired_at is not None  # it reached its target: the pool rotates


def test_a_promoted_item_seen_as_often_as_any_work_item_is_retired_not_served(world: World) -> None:
    # Work items reach one annotator here: a promoted item already seen by one is over-exposed.
    _promoted_from_work(world, required=1)
    newcomer = UserFactory(username="newcomer")
    MembershipFactory(project=world.project, user=newcomer, role="annotator")
    world.users["newcomer"] = newcomer
    with run_jobs():
        served = world.client("newcomer").post(f"/api/v1/projects/{world.project.pk}/next-task/").json()
    assert not BenchmarkTask.objects.filter(task__public_id=served["id"]).exists()
    gold = GoldAnnotation.objects.get()
    assert gold.retired_at is not None
    assert (gold.exposure, gold.exposure_target) == (1, None)


def test_the_target_is_a_validated_setting(world: World) -> None:
    url = f"/api/v1/projects/{world.project.pk}/"
    for bad in (-1, 100_001, "many", 2.5):
        response = world.client("manager").patch(url, {"settings": {"gold_pool_target": bad}}, format="json")
        assert response.status_code == 400, bad
        assert "settings.gold_pool_target" in response.json()["errors"]
    world.project.refresh_from_db()
    assert world.project.gold_pool_target == 0
    good = world.client("manager").patch(url, {"settings": {"gold_pool_target": 50}}, format="json")
    assert good.status_code == 200, good.json()
    world.project.refresh_from_db()
    assert world.project.gold_pool_target == 50
    denied = world.client("annotator").patch(url, {"settings": {"gold_pool_target": 5}}, format="json")
    assert denied.status_code == 403
