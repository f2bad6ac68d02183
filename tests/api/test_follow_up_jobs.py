"""The small follow-up jobs have no job record: each is idempotent (run twice, the stored state is the
same as after one run), and a lost one is caught up (a lost preparation by next-task itself, a lost
after-submit, after-skip or after-revise by the beat sweep). A changed answer is sampled for review by
its follow-up as a submission is by its own: once, and never into a second open review."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from annotation_qc.agreement import tasks as agreement_tasks
from annotation_qc.agreement.models import Consensus
from annotation_qc.benchmarks.models import BenchmarkTask
from annotation_qc.drafts.models import AnnotationRevision
from annotation_qc.labeling.models import Item, Task
from annotation_qc.review.models import Review, ReviewConfig
from annotation_qc.review.services.reviews import review_act
from annotation_qc.workflow import submit_pipeline
from annotation_qc.workflow import tasks as workflow_tasks
from annotation_qc.workflow.dispatch_pipeline import benchmark_is_due, task_next
from annotation_qc.workflow.models import DispatchPlan
from annotation_qc.workflow.secrets import dispatch_version_current
from annotation_qc.workflow.submit_pipeline import UNSCORED_GRACE_SECONDS, annotation_submit
from tests.api.benchmark_helpers import GOLD_BOXES
from tests.api.conftest import World
from tests.factories import ItemFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


#: Stamps of when a row was last recomputed (like auto_now): a recompute to the same result is no change.
RECOMPUTED_STAMPS = {"agreement.Consensus": {"computed_at"}}


def state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model of the project's apps (auto_now stamps aside: a touch is not a change)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("annotation_qc."):
            continue
        stamps = {f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}
        stamps |= RECOMPUTED_STAMPS.get(model._meta.label, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in stamps]
        rows[model._meta.label] = list(model.objects.order_by("pk").values(*fields))
    return rows


def twice_same(job: Any, *args: Any) -> dict[str, list[dict[str, Any]]]:
    """Run ``job`` twice; the second run changes nothing. Returns the state after the first."""
    job(*args)
    once = state()
    job(*args)
    again = state()
    changed = {label for label in once if once[label] != again[label]}
    assert not changed, f"{job.name} changed {sorted(changed)} on its second run"
    return once


def serve(world: World, role: str = "annotator") -> dict[str, Any]:
    return world.client(role).post(f"/api/v1/projects/{world.project.pk}/next-task/").json()


def submit(world: World, task: dict[str, Any], payload: dict[str, Any] | None = None) -> Task:
    payload = payload or task["pre_annotation"] or {"boxes": []}
    response = world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/submit/", {"payload": payload}, format="json"
    )
    assert response.status_code == 201, response.json()
    return Task.objects.get(public_id=task["id"])


def revise(world: World, task_id: str, payload: dict[str, Any], role: str = "annotator") -> None:
    response = world.client(role).put(
        f"/api/v1/tasks/{task_id}/answer/", {"payload": payload, "time_spent_ms": 1000}, format="json"
    )
    assert response.status_code == 200, response.json()


@pytest.fixture
def reviewed(bench_world: World) -> World:
    """Every regular answer is sampled for review (the review step of after-submit writes)."""
    ReviewConfig.objects.create(
        project=bench_world.project, enabled=True, base_rate=1.0, max_rate=1.0, calibration_rate=1.0
    )
    return bench_world


def test_after_submit_twice_is_after_submit_once(reviewed: World) -> None:
    # The on-commit jobs of these requests are not run: each follow-up runs here, twice.
    kinds: set[str] = set()
    for _ in range(7):  # the qualification set (5 benchmarks), then work
        task = submit(reviewed, serve(reviewed))
        after = twice_same(workflow_tasks.after_submit, task.pk)
        kinds.add(task.kind)
        if task.kind == Task.Kind.BENCHMARK:
            row = next(b for b in after["benchmarks.BenchmarkTask"] if b["task_id"] == task.pk)
            assert row["scored_at"] is not None
            assert row["fixed"] is not None
        else:
            assert Review.objects.filter(annotation__task=task).count() == 1
    assert kinds == {Task.Kind.BENCHMARK, Task.Kind.REGULAR}


def test_after_skip_twice_is_after_skip_once(bench_world: World) -> None:
    task = serve(bench_world)
    response = bench_world.client("annotator").post(
        f"/api/v1/tasks/{task['id']}/skip/", {"reason": "unclear"}, format="json"
    )
    assert response.status_code == 200, response.json()
    task_pk = Task.objects.get(public_id=task["id"]).pk
    twice_same(workflow_tasks.after_skip, task_pk)
    benchmark = BenchmarkTask.objects.get(task_id=task_pk)
    assert (benchmark.fixed, benchmark.skipped) == (False, True)


def test_after_revise_twice_is_after_revise_once(bench_world: World) -> None:
    task = serve(bench_world)
    task_pk = submit(bench_world, task).pk
    workflow_tasks.after_submit(task_pk)
    assert BenchmarkTask.objects.get(task_id=task_pk).fixed is False  # the seeded mistake was kept
    revise(bench_world, task["id"], {"boxes": GOLD_BOXES})
    twice_same(workflow_tasks.after_revise, task_pk)
    assert BenchmarkTask.objects.get(task_id=task_pk).fixed is True
    assert not AnnotationRevision.objects.filter(followed_up_at__isnull=True).exists()


CAR = {"x": 20.0, "y": 30.0, "w": 80.0, "h": 60.0, "label": "car"}
HUGE = {"x": 0.0, "y": 0.0, "w": 640.0, "h": 480.0, "label": "car"}  # oversized: a lint warning
PERSON = {"x": 300.0, "y": 100.0, "w": 40.0, "h": 90.0, "label": "person"}


@pytest.fixture
def sampled_work(world: World) -> World:
    """Review on, sampling nothing by rate (every answer with lint warnings still enters); a reviewer."""
    ReviewConfig.objects.create(
        project=world.project, enabled=True, base_rate=0.0, max_rate=0.0, calibration_rate=0.0
    )
    world.users["reviewer"] = UserFactory(username="reviewer")
    MembershipFactory(project=world.project, user=world.users["reviewer"], role="reviewer")
    return world


def _submitted(world: World, payload: dict[str, Any]) -> Task:
    task = submit(world, serve(world), payload)
    assert task.kind == Task.Kind.REGULAR
    workflow_tasks.after_submit(task.pk)
    return task


def test_a_revised_answer_is_sampled_for_review_once(sampled_work: World) -> None:
    task = _submitted(sampled_work, {"boxes": [CAR]})
    assert not Review.objects.exists()  # a clean answer, no rate: not sampled on submit
    revise(sampled_work, task.public_id, {"boxes": [HUGE]})  # the change brings a lint warning
    after = twice_same(workflow_tasks.after_revise, task.pk)
    assert [(r["reason"], r["status"], r["round"]) for r in after["review.Review"]] == [
        ("lint", "pending", 1)
    ]
    assert Review.objects.get().annotation.task_id == task.pk

    # Changed again while its review is open: the same review, no second one, no new round.
    revise(sampled_work, task.public_id, {"boxes": [HUGE, PERSON]})
    twice_same(workflow_tasks.after_revise, task.pk)
    assert list(Review.objects.values_list("pk", "status", "round")) == [
        (after["review.Review"][0]["id"], "pending", 1)
    ]


def test_a_revision_is_sampled_at_the_annotators_rate_then(sampled_work: World) -> None:
    task = _submitted(sampled_work, {"boxes": [CAR]})
    assert not Review.objects.exists()
    # The annotator's rate rose since (e.g. a falling benchmark record): the change is drawn at it.
    ReviewConfig.objects.update(base_rate=1.0, max_rate=1.0, calibration_rate=1.0)
    revise(sampled_work, task.public_id, {"boxes": [CAR, PERSON]})
    twice_same(workflow_tasks.after_revise, task.pk)
    assert list(Review.objects.values_list("annotation__task_id", "reason", "status")) == [
        (task.pk, "sampled", "pending")
    ]


def test_a_change_after_the_review_closed_opens_it_again(sampled_work: World) -> None:
    task = _submitted(sampled_work, {"boxes": [HUGE]})
    review = Review.objects.get()
    reviewer = sampled_work.users["reviewer"]
    review_act(review_id=review.pk, project=sampled_work.project, reviewer_id=reviewer.pk, action="accept")
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.ACCEPTED, 1)

    # The accepted answer is changed (still with a warning): its review opens again for a new round.
    revise(sampled_work, task.public_id, {"boxes": [HUGE, PERSON]})
    twice_same(workflow_tasks.after_revise, task.pk)
    review.refresh_from_db()
    assert (review.status, review.round, review.closed_at) == (Review.Status.PENDING, 2, None)
    assert Review.objects.count() == 1

    # Accepted again; a late copy of the job (its change already followed up) leaves it closed.
    review_act(review_id=review.pk, project=sampled_work.project, reviewer_id=reviewer.pk, action="accept")
    once = state()
    workflow_tasks.after_revise(task.pk)
    assert state() == once
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.ACCEPTED, 2)

    # A change the rule does not sample (no warning, no rate) leaves the accepted review closed.
    revise(sampled_work, task.public_id, {"boxes": [CAR]})
    twice_same(workflow_tasks.after_revise, task.pk)
    review.refresh_from_db()
    assert (review.status, review.round) == (Review.Status.ACCEPTED, 2)


def test_a_lost_after_revise_is_sampled_for_review_by_the_sweep(
    sampled_work: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = _submitted(sampled_work, {"boxes": [CAR]})
    revise(sampled_work, task.public_id, {"boxes": [HUGE]})  # its after-revise job is lost
    assert not Review.objects.exists()
    monkeypatch.setattr(submit_pipeline, "UNSCORED_GRACE_SECONDS", -1)
    assert submit_pipeline.revisions_follow_up_sweep() == 1
    assert list(Review.objects.values_list("reason", "status")) == [("lint", "pending")]
    once = state()
    assert submit_pipeline.revisions_follow_up_sweep() == 0
    workflow_tasks.after_revise(task.pk)  # the job, only late
    assert state() == once


def test_dispatch_prepare_twice_is_dispatch_prepare_once(bench_world: World) -> None:
    annotator = bench_world.users["annotator"]
    for _ in range(7):
        submit(bench_world, serve(bench_world))
        plan = DispatchPlan.objects.get(project=bench_world.project, annotator=annotator)
        assert plan.prepared_for != plan.ordinal  # the preparation job was not run
        twice_same(workflow_tasks.dispatch_prepare, bench_world.project.pk, annotator.pk)
        plan.refresh_from_db()
        assert plan.prepared_for == plan.ordinal


@pytest.fixture
def pairs(world: World) -> World:
    """A classification project whose items each need two answers; a second annotator."""
    Item.objects.filter(project=world.project).delete()
    world.project.kind = "classification"
    world.project.save()
    ItemFactory.create_batch(4, project=world.project, required_annotations=2, open_slots=2)
    second = UserFactory(username="second")
    MembershipFactory(project=world.project, user=second, role="annotator")
    world.users["second"] = second
    return world


def _label(world: World, role: str, label: str) -> Task:
    user = world.users[role]
    task = task_next(project=world.project, annotator_id=user.pk)
    assert task is not None
    annotation_submit(task_id=task.pk, annotator_id=user.pk, payload={"label": label}, client_time_ms=4000)
    return task


def test_consensus_jobs_twice_are_once(pairs: World) -> None:
    first = _label(pairs, "annotator", "car")
    second = _label(pairs, "second", "car")
    assert first.item_id == second.item_id
    after = twice_same(workflow_tasks.after_submit, second.pk)
    assert [c["item_id"] for c in after["agreement.Consensus"]] == [second.item_id]
    twice_same(agreement_tasks.consensus_update, second.item_id, 2)
    twice_same(agreement_tasks.consensus_sweep)

    # A changed answer: the consensus follows it, once.
    revise(pairs, second.public_id, {"label": "person"}, role="second")
    revise(pairs, first.public_id, {"label": "person"})
    twice_same(workflow_tasks.after_revise, second.pk)
    assert Consensus.objects.get(item_id=second.item_id).payload == {"label": "person"}


def test_a_lost_after_revise_is_caught_up_by_the_sweep(bench_world: World) -> None:
    task = serve(bench_world)
    task_pk = submit(bench_world, task).pk
    workflow_tasks.after_submit(task_pk)
    benchmark = BenchmarkTask.objects.get(task_id=task_pk)
    assert benchmark.fixed is False
    scored_at = benchmark.scored_at

    revise(bench_world, task["id"], {"boxes": GOLD_BOXES})  # its after-revise job is lost
    assert BenchmarkTask.objects.get(task_id=task_pk).fixed is False
    # Within the grace period the job may still be on its way: nothing is touched.
    assert submit_pipeline.revisions_follow_up_sweep() == 0
    assert BenchmarkTask.objects.get(task_id=task_pk).fixed is False

    later = timezone.now() + timedelta(seconds=UNSCORED_GRACE_SECONDS + 1)
    assert submit_pipeline.revisions_follow_up_sweep(now=later) == 1
    benchmark.refresh_from_db()
    assert benchmark.fixed is True
    assert benchmark.scored_at == scored_at  # scored again in its place
    # Caught up once: a second sweep, or the late job itself, changes nothing.
    once = state()
    assert submit_pipeline.revisions_follow_up_sweep(now=later + timedelta(minutes=5)) == 0
    workflow_tasks.after_revise(task_pk)
    assert state() == once


def test_a_lost_after_revise_of_work_brings_the_consensus_up_to_date(
    pairs: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _label(pairs, "annotator", "car")
    second = _label(pairs, "second", "car")
    workflow_tasks.after_submit(second.pk)
    revise(pairs, first.public_id, {"label": "person"})
    revise(pairs, second.public_id, {"label": "person"}, role="second")  # both jobs lost
    assert Consensus.objects.get(item_id=second.item_id).payload == {"label": "car"}
    # The beat task runs both sweeps (no grace here, so it needs no clock).
    monkeypatch.setattr(submit_pipeline, "UNSCORED_GRACE_SECONDS", -1)
    assert workflow_tasks.unscored_benchmarks_sweep() == 2
    assert Consensus.objects.get(item_id=second.item_id).payload == {"label": "person"}
    assert workflow_tasks.unscored_benchmarks_sweep() == 0


def test_a_lost_preparation_is_made_inline_by_next_task(bench_world: World) -> None:
    """With every preparation job lost, next-task prepares each task itself: the same kinds in the same
    order as the keyed schedule says (the qualification set first)."""
    project, annotator = bench_world.project, bench_world.users["annotator"]
    version = dispatch_version_current(project=project)
    served = []
    for ordinal in range(8):
        task = Task.objects.get(public_id=serve(bench_world)["id"])
        assert task.ordinal == ordinal
        due = benchmark_is_due(project=project, annotator_id=annotator.pk, ordinal=ordinal, version=version)
        assert task.kind == (Task.Kind.BENCHMARK if due else Task.Kind.REGULAR)
        served.append(task.kind)
        submit(bench_world, {"id": task.public_id, "pre_annotation": task.pre_annotation})
    assert served[:5] == [Task.Kind.BENCHMARK] * 5
    # The lost jobs' other work (binding the served benchmarks) is done by the next preparation.
    assert BenchmarkTask.objects.filter(annotator=annotator, task__isnull=False).count() >= 5
